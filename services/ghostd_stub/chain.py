"""ChainCore: the node's chain logic over Storage, synchronous and free of trio.

The trio layer (node.py) serialises calls with a lock and runs them in a worker thread; unit
tests call them directly. Everything rule-related is ghostchain's; this module decides what
to store, when, and in what order: mempool admission (validated against the chain state plus
every pending transaction, persisted before it is acknowledged), block production, block
import from a peer, and reads.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import attrs
from ghost.node.v1 import types_pb2 as pb
from ghostchain import block as B
from ghostchain import state as S
from ghostchain import tx as T
from ghostchain.errors import BlockError, TxError, TxErrorCode
from ghostchain.fees import FeeSchedule
from ghostchain.genesis import Genesis, apply_genesis, genesis_block
from ghostchain.names import DEFAULT_TLDS, normalize_query_name
from zcrypto import KeyType, ed25519
from zcrypto.address import derive_address, format_address

from .storage import BlockRecord, Storage, StorageError, StoredTx, Tip

__all__ = ["ChainCore", "Committed", "MempoolItem", "HARD_MAX_TX_SIZE"]

# Blocks from a peer may carry transactions up to this size whatever our mempool policy is.
HARD_MAX_TX_SIZE = 1024 * 1024


@attrs.frozen
class MempoolItem:
    stx: pb.SignedTransaction
    tx: pb.Transaction
    time_added_ns: int

    @property
    def size(self) -> int:
        return len(self.stx.tx_bytes)


@attrs.frozen
class Committed:
    """A block that was just stored, with what streams need to announce it."""

    block: pb.Block
    infos: list[pb.TransactionInfo]
    domain_events: list[pb.DomainEvent]
    dropped: list[MempoolItem] = attrs.field(factory=list)

    @property
    def height(self) -> int:
        return self.block.header.height


def make_info(
    stx: pb.SignedTransaction,
    tx: pb.Transaction | None,
    status: int,
    *,
    height: int = 0,
    block_hash: bytes = b"",
    index: int = 0,
    fee: int = 0,
    error: str = "",
    block_ts_ns: int | None = None,
) -> pb.TransactionInfo:
    tx = tx if tx is not None else pb.Transaction.FromString(stx.tx_bytes)
    info = pb.TransactionInfo(signed=stx, transaction=tx)
    receipt = info.receipt
    receipt.tx_hash = stx.tx_hash
    receipt.status = status
    receipt.block_height = height
    receipt.block_hash = block_hash
    receipt.index = index
    receipt.fee_paid = fee
    receipt.error = error
    if block_ts_ns is not None:
        receipt.block_time.FromNanoseconds(block_ts_ns)
    if len(tx.sender) == 20:
        info.sender_address = format_address(tx.sender)
    if tx.WhichOneof("payload") == "transfer" and len(tx.transfer.to) == 20:
        info.to_address = format_address(tx.transfer.to)
    return info


def stored_info(row: StoredTx) -> pb.TransactionInfo:
    return make_info(
        row.stx,
        None,
        row.status,
        height=row.height,
        block_hash=row.block_hash,
        index=row.index,
        fee=row.fee,
        error=row.error,
        block_ts_ns=row.block_timestamp_ns,
    )


@attrs.define
class ChainCore:
    """Chain, state and mempool of one node. Not thread-safe: callers serialise."""

    storage: Storage
    genesis: Genesis
    validator_seed: bytes | None = attrs.field(default=None, repr=False)
    max_tx_size: int = T.DEFAULT_MAX_TX_SIZE
    mempool_max_bytes: int = 8 * 1024 * 1024
    max_block_txs: int = 1000
    tlds: tuple[str, ...] = DEFAULT_TLDS
    mempool: OrderedDict[bytes, MempoolItem] = attrs.field(factory=OrderedDict, init=False)
    pending: S.Overlay = attrs.field(init=False)
    genesis_hash: bytes = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        if self.validator_seed is not None and (
            ed25519.public_key(self.validator_seed) != self.genesis.validator_key
        ):
            raise ValueError("the validator key is not the genesis validator")
        gblock = genesis_block(self.genesis)
        self.genesis_hash = gblock.hash
        if self.storage.is_empty():
            work = S.Overlay(self.storage.state)
            apply_genesis(work, self.genesis)
            self.storage.commit_block(gblock, [], work, [], genesis=True)
        else:
            stored = self.storage.get_meta("genesis_hash")
            if stored != gblock.hash:
                raise StorageError(
                    f"database {self.storage.path} belongs to another chain or genesis"
                    f" (stored genesis {(stored or b'').hex()[:16]}, configured"
                    f" {gblock.hash.hex()[:16]})"
                )
        self.pending = S.Overlay(self.storage.state)

    # ---- identity

    @property
    def chain_id(self) -> str:
        return self.genesis.chain_id

    @property
    def fee_schedule(self) -> FeeSchedule:
        return self.genesis.fee_schedule

    @property
    def validator_address(self) -> bytes:
        return derive_address(KeyType.ED25519, self.genesis.validator_key)

    @property
    def is_validator(self) -> bool:
        return self.validator_seed is not None

    def tip(self) -> Tip:
        return self.storage.tip()

    def _ctx(self, height: int, ts_ns: int, proposer: bytes | None = None) -> S.BlockContext:
        return S.BlockContext(
            height=height,
            timestamp_ns=ts_ns,
            proposer=proposer or self.validator_address,
            fee_schedule=self.fee_schedule,
            tlds=self.tlds,
        )

    # ---- mempool

    def load_mempool(self, now_ns: int) -> list[MempoolItem]:
        """Reload persisted mempool entries after a restart; returns those no longer valid."""
        dropped = []
        for stx, added in self.storage.mempool_load():
            try:
                tx = T.decode_and_verify(
                    stx, self.chain_id, max_tx_size=HARD_MAX_TX_SIZE, tlds=self.tlds
                )
            except TxError:
                dropped.append(MempoolItem(stx, pb.Transaction(), added))
                continue
            self.mempool[stx.tx_hash] = MempoolItem(stx, tx, added)
        dropped += self._rebuild_pending(now_ns)
        return dropped

    def _rebuild_pending(self, now_ns: int) -> list[MempoolItem]:
        """Re-apply the mempool on the current state; drop and return what no longer fits."""
        self.pending = S.Overlay(self.storage.state)
        ctx = self._ctx(self.tip().height + 1, now_ns)
        dropped = []
        for item in list(self.mempool.values()):
            trial = S.Overlay(self.pending)
            try:
                S.apply_transaction(trial, item.stx, item.tx, ctx, strict=True)
            except TxError:
                dropped.append(item)
                del self.mempool[item.stx.tx_hash]
                continue
            trial.commit()
        if dropped:
            self.storage.mempool_remove([i.stx.tx_hash for i in dropped])
        return dropped

    def mempool_bytes(self) -> int:
        return sum(item.size for item in self.mempool.values())

    def check_new(self, stx: pb.SignedTransaction) -> pb.Transaction:
        """Everything about a submission that needs no account state."""
        tx = T.decode_and_verify(stx, self.chain_id, max_tx_size=self.max_tx_size, tlds=self.tlds)
        if stx.tx_hash in self.mempool:
            raise TxError(TxErrorCode.DUPLICATE, "transaction is already in the mempool")
        height = self.storage.has_tx(stx.tx_hash)
        if height is not None:
            raise TxError(TxErrorCode.DUPLICATE, f"transaction is already in block {height}")
        return tx

    def submit(self, stx: pb.SignedTransaction, now_ns: int) -> MempoolItem:
        """Validate fully (signature, nonce, balance, fee, size, payload) and persist.

        Raises TxError. When this returns, the transaction is durable (fsynced)."""
        tx = self.check_new(stx)
        if self.mempool_bytes() + len(stx.tx_bytes) > self.mempool_max_bytes:
            raise TxError(TxErrorCode.MEMPOOL_FULL, "the mempool is full, try again later")
        trial = S.Overlay(self.pending)
        S.apply_transaction(trial, stx, tx, self._ctx(self.tip().height + 1, now_ns), strict=True)
        self.storage.mempool_add(stx, now_ns)
        trial.commit()
        item = MempoolItem(stx, tx, now_ns)
        self.mempool[stx.tx_hash] = item
        return item

    # ---- blocks

    def produce_block(
        self, now_ns: int, *, max_txs: int = 0, allow_empty: bool = False
    ) -> Committed | None:
        """Build, sign and store the next block from the mempool (validator only)."""
        if self.validator_seed is None:
            raise BlockError("this node does not hold the validator key")
        if not self.mempool and not allow_empty:
            return None
        tip = self.tip()
        ts = max(now_ns, tip.timestamp_ns + 1)
        ctx = self._ctx(tip.height + 1, ts)
        limit = min(max_txs or self.max_block_txs, self.max_block_txs)
        work = S.Overlay(self.storage.state)
        included: list[MempoolItem] = []
        outcomes: list[S.TxOutcome] = []
        dropped: list[MempoolItem] = []
        for item in list(self.mempool.values()):
            if len(included) >= limit:
                break
            try:
                outcome = S.apply_transaction(
                    work, item.stx, item.tx, ctx, index=len(included), strict=True
                )
            except TxError:
                dropped.append(item)
                continue
            included.append(item)
            outcomes.append(outcome)
        for item in dropped:
            del self.mempool[item.stx.tx_hash]
        if dropped:
            self.storage.mempool_remove([i.stx.tx_hash for i in dropped])
        if not included and not allow_empty:
            return None
        header = B.build_header(
            chain_id=self.chain_id,
            height=tip.height + 1,
            prev_hash=tip.hash,
            tx_hashes=[i.stx.tx_hash for i in included],
            timestamp_ns=ts,
            proposer_key=self.genesis.validator_key,
        )
        block = B.sign_block(header, self.validator_seed, [i.stx for i in included])
        committed = self._commit(block, [(i.stx, i.tx) for i in included], outcomes, work, now_ns)
        committed.dropped.extend(dropped)
        return committed

    def _commit(
        self,
        block: pb.Block,
        items: Sequence[tuple[pb.SignedTransaction, pb.Transaction]],
        outcomes: Sequence[S.TxOutcome],
        work: S.Overlay,
        now_ns: int,
    ) -> Committed:
        records = [
            BlockRecord(stx, tx.sender, T.recipient(tx), o.status, o.fee_paid, o.error)
            for (stx, tx), o in zip(items, outcomes, strict=True)
        ]
        events = [ev for o in outcomes for ev in o.domain_events]
        self.storage.commit_block(block, records, work, events)
        height = block.header.height
        ts = B.timestamp_ns(block.header.timestamp)
        infos = [
            make_info(
                stx,
                tx,
                o.status,
                height=height,
                block_hash=block.hash,
                index=i,
                fee=o.fee_paid,
                error=o.error,
                block_ts_ns=ts,
            )
            for i, ((stx, tx), o) in enumerate(zip(items, outcomes, strict=True))
        ]
        for stx, _ in items:
            self.mempool.pop(stx.tx_hash, None)
        dropped = self._rebuild_pending(now_ns)
        return Committed(block, infos, events, dropped)

    def _check_block(
        self, block: pb.Block
    ) -> (
        tuple[
            pb.BlockHeader,
            list[tuple[pb.SignedTransaction, pb.Transaction]],
            list[S.TxOutcome],
            S.Overlay,
        ]
        | None
    ):
        """Full validation as the next block; None if we already have exactly this block."""
        header = B.decode_header(block.header_bytes) if block.header_bytes else None
        if header is None:
            raise BlockError("block has no header_bytes")
        tip = self.tip()
        computed = B.block_hash(block.header_bytes)
        if header.height <= tip.height:
            if self.storage.hash_at(header.height) == computed:
                if header.height > 0:  # same header: still check what the hash does not cover
                    B.verify_block(
                        block, chain_id=self.chain_id, validators=[self.genesis.validator_key]
                    )
                return None
            raise BlockError(
                f"block {header.height} conflicts with this node's block at that height"
            )
        if header.height > tip.height + 1:
            raise BlockError(
                f"block {header.height} does not extend this node's tip {tip.height}"
                " (missing blocks in between)"
            )
        header = B.verify_block(
            block,
            chain_id=self.chain_id,
            validators=[self.genesis.validator_key],
            parent_hash=tip.hash,
            parent_height=tip.height,
            parent_timestamp_ns=tip.timestamp_ns,
        )
        items = []
        for i, stx in enumerate(block.transactions):
            try:
                tx = T.decode_and_verify(
                    stx, self.chain_id, max_tx_size=HARD_MAX_TX_SIZE, tlds=self.tlds
                )
            except TxError as exc:
                raise BlockError(f"transaction {i}: {exc.message}") from None
            if self.storage.has_tx(stx.tx_hash) is not None:
                raise BlockError(f"transaction {i} is already on chain")
            items.append((stx, tx))
        work = S.Overlay(self.storage.state)
        ctx = self._ctx(header.height, B.timestamp_ns(header.timestamp), header.proposer)
        try:
            outcomes = S.apply_transactions(work, items, ctx)
        except TxError as exc:
            raise BlockError(exc.message) from None
        return header, items, outcomes, work

    def validate_block(self, block: pb.Block) -> None:
        """Raise BlockError unless `block` is valid as our next block (or is already ours)."""
        self._check_block(block)

    def import_block(self, block: pb.Block, now_ns: int) -> Committed | None:
        """Verify and store a peer's block; None if we already have it. Raises BlockError."""
        checked = self._check_block(block)
        if checked is None:
            return None
        header, items, outcomes, work = checked
        clean = pb.Block()
        clean.CopyFrom(block)
        clean.hash = B.block_hash(block.header_bytes)
        clean.header.CopyFrom(header)
        return self._commit(clean, items, outcomes, work, now_ns)

    # ---- reads

    def committed_range(self, start: int, end: int, with_txs: bool = True) -> list[Committed]:
        """Stored blocks start..end (inclusive) with their transaction infos and domain
        events, as streams replay them."""
        blocks = self.storage.blocks_from(start, end - start + 1, with_txs)
        events = self.storage.domain_events(start, end) if blocks else []
        by_height: dict[int, list[pb.DomainEvent]] = {}
        for ev in events:
            by_height.setdefault(ev.height, []).append(ev)
        out = []
        for blk in blocks:
            h = blk.header.height
            infos = [stored_info(r) for r in self.storage.txs_in_block(h)] if with_txs else []
            out.append(Committed(blk, infos, by_height.get(h, [])))
        return out

    def get_block(
        self, *, height: int | None = None, block_hash: bytes | None = None, with_txs: bool = True
    ) -> pb.Block | None:
        if block_hash is not None:
            height = self.storage.height_of(block_hash)
            if height is None:
                return None
        assert height is not None
        return self.storage.block_at(height, with_txs)

    def mempool_info(self, item: MempoolItem) -> pb.TransactionInfo:
        return make_info(item.stx, item.tx, pb.TRANSACTION_STATUS_PENDING)

    def transaction(self, tx_hash: bytes) -> pb.TransactionInfo | None:
        row = self.storage.get_tx(tx_hash)
        if row is not None:
            return stored_info(row)
        item = self.mempool.get(tx_hash)
        return None if item is None else self.mempool_info(item)

    def pending_for(self, address: bytes) -> list[MempoolItem]:
        return [
            i
            for i in self.mempool.values()
            if i.tx.sender == address or T.recipient(i.tx) == address
        ]

    def account(self, address: bytes) -> pb.Account:
        """Confirmed balance; nonce = the next one a new transaction must carry (pending
        transactions included), so a wallet can send several per block."""
        acc = self.storage.state.get_account(address) or S.new_account(address)
        pending = self.pending.get_account(address)
        if pending is not None:
            acc.nonce = pending.nonce
            if pending.HasField("public_key") and not acc.HasField("public_key"):
                acc.public_key.CopyFrom(pending.public_key)
            if pending.HasField("multisig") and not acc.HasField("multisig"):
                acc.multisig.CopyFrom(pending.multisig)
        return acc

    def domain(self, name: str) -> pb.Domain | None:
        d = self.storage.state.get_domain(name)
        return None if d is None else S.domain_view(self.storage.state, d)

    def resolve(self, query: str) -> tuple[pb.Domain, str] | None:
        """Longest registered suffix of `query` and the host part below it."""
        name = normalize_query_name(query)
        labels = name.split(".") if name else []
        for i in range(len(labels) - 1):
            candidate = ".".join(labels[i:])
            d = self.domain(candidate)
            if d is not None:
                return d, ".".join(labels[:i])
        return None

    def identity(self, name: str) -> pb.Identity | None:
        i = self.storage.state.get_identity(name)
        return None if i is None else S.identity_view(i)

    def list_domains(self, owner: bytes | None, after: str, limit: int) -> list[pb.Domain]:
        return [
            S.domain_view(self.storage.state, d)
            for d in self.storage.list_domains(owner, after, limit)
        ]
