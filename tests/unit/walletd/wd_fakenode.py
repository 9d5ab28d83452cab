"""In-memory ghostd for walletd unit tests: real chain rules (ghostchain), no sockets.

Implements walletd_stub.node.NodeClient. Submissions are verified and admitted with the same
ghostchain functions ghostd uses; `produce_block()` includes the mempool; streams replay and
then follow new blocks. Knobs: `unavailable` (every call fails UNAVAILABLE), `reject_next`
(refuse upcoming submissions), `drop_streams()` (break open streams once).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import trio
from ghost.node.v1 import node_pb2, types_pb2
from ghostchain.block import build_header, encode_header, make_block
from ghostchain.errors import TxError
from ghostchain.fees import FeeSchedule
from ghostchain.genesis import dev_account
from ghostchain.state import BlockContext, MemoryState, Overlay, apply_transaction, new_account
from ghostchain.tx import decode_and_verify, recipient
from walletd_stub.errors import Code, NodeError
from zcrypto import format_address, parse_address

CHAIN_ID = "walletd-test"
FEES = FeeSchedule(base_fee=1_000, fee_per_byte=10)


class FakeNode:
    def __init__(self, fees: FeeSchedule = FEES) -> None:
        self.fees = fees
        self.state = MemoryState()
        self.validator = dev_account("validator")
        self.height = 0
        self.mempool: list[tuple[types_pb2.SignedTransaction, types_pb2.Transaction]] = []
        self.included: dict[bytes, types_pb2.TransactionInfo] = {}
        self.order: list[bytes] = []  # included tx hashes in (height, index) order
        self.blocks: list[types_pb2.Block] = [self._block(0, [])]
        self.unavailable = False
        self.reject_next: list[tuple[Code, str]] = []
        self.submitted: list[types_pb2.SignedTransaction] = []
        self._changed = trio.Event()
        self._drop_generation = 0
        self.calls: list[str] = []
        self.streams_opened = 0

    async def wait_for(self, predicate) -> None:  # type: ignore[no-untyped-def]
        """Wait (without polling) until predicate() holds; state changes wake us."""
        while not predicate():
            await self._changed.wait()

    # ---- test helpers

    def credit(self, address: bytes, amount: int) -> None:
        acct = self.state.get_account(address) or new_account(address)
        acct.balance += amount
        self.state.put_account(acct)

    def balance(self, address: bytes) -> int:
        acct = self.state.get_account(address)
        return acct.balance if acct else 0

    def _block(self, height: int, stxs: list[types_pb2.SignedTransaction]) -> types_pb2.Block:
        header = build_header(
            chain_id=CHAIN_ID,
            height=height,
            prev_hash=b"\0" * 32,
            tx_hashes=[s.tx_hash for s in stxs],
            timestamp_ns=time.time_ns(),
            proposer_key=self.validator.public_key,
        )
        return make_block(encode_header(header), b"", stxs)

    def produce_block(self) -> types_pb2.Block:
        self.height += 1
        ctx = BlockContext(
            height=self.height,
            timestamp_ns=time.time_ns(),
            proposer=self.validator.address,
            fee_schedule=self.fees,
        )
        block = self._block(self.height, [s for s, _ in self.mempool])
        for i, (stx, tx) in enumerate(self.mempool):
            outcome = apply_transaction(self.state, stx, tx, ctx, index=i)
            info = self._info(stx, tx)
            r = info.receipt
            r.status = outcome.status
            r.block_height = self.height
            r.block_hash = block.hash
            r.index = i
            r.fee_paid = outcome.fee_paid
            r.error = outcome.error
            r.block_time.CopyFrom(block.header.timestamp)
            self.included[stx.tx_hash] = info
            self.order.append(stx.tx_hash)
        self.mempool.clear()
        self.blocks.append(block)
        self._notify()
        return block

    def drop_streams(self) -> None:
        self._drop_generation += 1
        self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = trio.Event()

    def _info(
        self, stx: types_pb2.SignedTransaction, tx: types_pb2.Transaction
    ) -> types_pb2.TransactionInfo:
        info = types_pb2.TransactionInfo(signed=stx, transaction=tx)
        info.receipt.tx_hash = stx.tx_hash
        info.receipt.status = types_pb2.TRANSACTION_STATUS_PENDING
        info.sender_address = format_address(tx.sender)
        to = recipient(tx)
        info.to_address = format_address(to) if to else ""
        return info

    async def _enter(self, name: str) -> None:
        self.calls.append(name)
        await trio.lowlevel.checkpoint()
        if self.unavailable:
            raise NodeError(Code.UNAVAILABLE, "ghostd at 127.0.0.1:1 is unreachable (test)")

    # ---- NodeClient

    async def chain_info(self) -> node_pb2.GetBlockchainInfoResponse:
        await self._enter("chain_info")
        return node_pb2.GetBlockchainInfoResponse(
            chain_id=CHAIN_ID,
            height=self.height,
            fee_schedule=self.fees.to_proto(),
            mempool_size=len(self.mempool),
        )

    async def get_account(self, address: str) -> node_pb2.GetAccountResponse:
        await self._enter("get_account")
        raw = parse_address(address)
        acct = self.state.get_account(raw) or new_account(raw)
        return node_pb2.GetAccountResponse(account=acct, height=self.height)

    async def transactions_by_address(
        self, address: str, page_size: int, page_token: str, include_pending: bool
    ) -> node_pb2.GetTransactionsByAddressResponse:
        await self._enter("transactions_by_address")
        raw = parse_address(address)
        rows: list[types_pb2.TransactionInfo] = []
        if include_pending:
            for stx, tx in reversed(self.mempool):
                if tx.sender == raw or recipient(tx) == raw:
                    rows.append(self._info(stx, tx))
        for h in reversed(self.order):
            info = self.included[h]
            if info.transaction.sender == raw or recipient(info.transaction) == raw:
                rows.append(info)
        if page_token and not page_token.isdigit():
            raise NodeError(Code.INVALID_ARGUMENT, "ghostd: page_token is not valid here")
        start = int(page_token or 0)
        size = page_size or 50
        page = rows[start : start + size]
        token = str(start + size) if start + size < len(rows) else ""
        return node_pb2.GetTransactionsByAddressResponse(transactions=page, next_page_token=token)

    async def get_transaction(self, tx_hash: bytes) -> types_pb2.TransactionInfo:
        await self._enter("get_transaction")
        if tx_hash in self.included:
            return self.included[tx_hash]
        for stx, tx in self.mempool:
            if stx.tx_hash == tx_hash:
                return self._info(stx, tx)
        raise NodeError(Code.NOT_FOUND, "ghostd: transaction not found")

    async def submit(
        self, signed: types_pb2.SignedTransaction
    ) -> node_pb2.SubmitTransactionResponse:
        await self._enter("submit")
        if self.reject_next:
            code, message = self.reject_next.pop(0)
            raise NodeError(code, f"ghostd: {message}")
        try:
            tx = decode_and_verify(signed, CHAIN_ID)
            speculative = Overlay(self.state)
            ctx = BlockContext(
                height=self.height + 1,
                timestamp_ns=time.time_ns(),
                proposer=self.validator.address,
                fee_schedule=self.fees,
            )
            for stx, ptx in self.mempool:
                apply_transaction(speculative, stx, ptx, ctx)
            apply_transaction(speculative, signed, tx, ctx, strict=True)
        except TxError as exc:
            raise NodeError(Code[exc.grpc_status], f"ghostd: {exc.message}") from None
        self.mempool.append((signed, tx))
        self.submitted.append(signed)
        self._notify()
        return node_pb2.SubmitTransactionResponse(
            tx_hash=signed.tx_hash, status=types_pb2.TRANSACTION_STATUS_PENDING
        )

    async def get_identity(self, name: str) -> types_pb2.Identity:
        await self._enter("get_identity")
        identity = self.state.get_identity(name)
        if identity is None:
            raise NodeError(Code.NOT_FOUND, f"ghostd: no identity {name!r}")
        return identity

    async def stream_transactions(
        self, request: node_pb2.StreamTransactionsRequest
    ) -> AsyncIterator[node_pb2.TransactionEvent]:
        await self._enter("stream_transactions")
        self.streams_opened += 1
        self._notify()
        wanted = {parse_address(a) for a in request.addresses}
        generation = self._drop_generation
        pos = 0
        while True:
            while pos < len(self.order):
                info = self.included[self.order[pos]]
                pos += 1
                r = info.receipt
                if r.block_height < request.from_height:
                    continue
                tx = info.transaction
                if wanted and tx.sender not in wanted and recipient(tx) not in wanted:
                    continue
                yield node_pb2.TransactionEvent(
                    height=r.block_height, index=r.index, transaction=info
                )
                if generation != self._drop_generation:
                    raise NodeError(Code.UNAVAILABLE, "ghostd: connection lost (test)")
            await self._changed.wait()
            if generation != self._drop_generation:
                raise NodeError(Code.UNAVAILABLE, "ghostd: connection lost (test)")

    async def stream_blocks(
        self, request: node_pb2.StreamBlocksRequest
    ) -> AsyncIterator[node_pb2.BlockEvent]:
        await self._enter("stream_blocks")
        self.streams_opened += 1
        self._notify()
        generation = self._drop_generation
        height = request.from_height
        while True:
            while height < len(self.blocks):
                yield node_pb2.BlockEvent(height=height, block=self.blocks[height])
                height += 1
                if generation != self._drop_generation:
                    raise NodeError(Code.UNAVAILABLE, "ghostd: connection lost (test)")
            await self._changed.wait()
            if generation != self._drop_generation:
                raise NodeError(Code.UNAVAILABLE, "ghostd: connection lost (test)")
