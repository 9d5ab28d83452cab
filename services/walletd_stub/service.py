"""WalletService handlers: thin async glue between requests, the key store, the pure wallet
logic (core.py) and ghostd (a NodeClient).

Every handler turns a WalletError into the matching RpcError; anything unexpected is logged
(with its traceback, which never holds secrets: messages name accounts, not passphrases)
and reported as INTERNAL with a plain message.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from typing import Any

import structlog
import trio
from ghost.node.v1 import node_pb2, types_pb2
from ghost.wallet.v1 import wallet_pb2
from ghostchain.errors import TxError
from ghostchain.names import validate_identity_name, validate_metadata
from google.protobuf.timestamp_pb2 import Timestamp
from zcrypto import KeyType, derive_address, format_address, keyfile, parse_address
from zcrypto.errors import InvalidAddressError
from zquic.rpc import RpcError, StatusCode

from . import core
from .chain import SIGN_DATA_PREFIX, FeeSchedule, key_proto, tx_hash, verify_message
from .errors import Code, NodeError, WalletError, invalid, not_found
from .keystore import (
    AccountRecord,
    KeyStore,
    Signer,
    create_record,
    public_key_of,
    unlock,
    validate_name,
)
from .node import NodeClient

SERVICE = wallet_pb2.DESCRIPTOR.services_by_name["WalletService"]
PENDING = types_pb2.TRANSACTION_STATUS_PENDING
HISTORY_SCAN_PAGES = 50
# Stand-in sender key when the sender's key is unknown: secp256k1 keys are the longer ones,
# so the estimate is an upper bound for any single-key sender.
_PLACEHOLDER_KEY = types_pb2.PublicKey(key_type=KeyType.SECP256K1, key=b"\x02" + b"\x00" * 32)

log = structlog.get_logger("walletd")


def _to_rpc(method: str, exc: Exception) -> RpcError:
    if isinstance(exc, WalletError):
        return RpcError(StatusCode[exc.code.value], exc.message)
    if isinstance(exc, RpcError):
        return exc
    log.error("wallet_rpc_failed", method=method, error_type=type(exc).__name__, exc_info=exc)
    return RpcError(
        StatusCode.INTERNAL, f"walletd failed while handling {method}; details are in its log"
    )


def unary(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    async def wrapper(self: WalletServicer, request: Any, context: Any) -> Any:
        self._call_started()
        try:
            return await fn(self, request, context)
        except Exception as exc:
            raise _to_rpc(fn.__name__, exc) from None
        finally:
            self._call_ended()

    return wrapper


def streaming(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    async def wrapper(self: WalletServicer, request: Any, context: Any) -> AsyncIterator[Any]:
        try:
            async with aclosing(fn(self, request, context)) as events:
                async for event in events:
                    yield event
        except Exception as exc:
            raise _to_rpc(fn.__name__, exc) from None

    return wrapper


def _timestamp_ns(ns: int) -> Timestamp:
    ts = Timestamp()
    ts.FromNanoseconds(ns)
    return ts


def account_message(record: AccountRecord) -> wallet_pb2.WalletAccount:
    return wallet_pb2.WalletAccount(
        name=record.name,
        address=record.address,
        address_bytes=record.address_bytes,
        public_key=key_proto(record.key_type, record.public_key),
        created_at=_timestamp_ns(record.created_at_ns),
    )


def _record_key(record: AccountRecord) -> types_pb2.PublicKey:
    return key_proto(record.key_type, record.public_key)


def _chain_error(exc: TxError) -> WalletError:
    return WalletError(Code[exc.grpc_status], exc.message)


class WalletServicer:
    """The WalletService implementation; bind it with `RpcServer.add_service(SERVICE, it)`."""

    def __init__(
        self,
        keystore: KeyStore,
        node: NodeClient,
        *,
        kdf: keyfile.KdfProfile = keyfile.DEFAULT,
        stream_retry_delay: float = 0.25,
        stream_reconnect_timeout: float = 60.0,
    ) -> None:
        self.keystore = keystore
        self.node = node
        self.kdf = kdf
        self.stream_retry_delay = stream_retry_delay
        self.stream_reconnect_timeout = stream_reconnect_timeout
        # One lock per sending address: nonce choice and submission happen under it, so two
        # concurrent sends from one account never pick the same nonce.
        self._send_locks: dict[str, trio.Lock] = {}
        self._inflight = 0
        self._idle = trio.Event()
        self._idle.set()

    # ------------------------------------------------------------------ drain

    def _call_started(self) -> None:
        if self._inflight == 0:
            self._idle = trio.Event()
        self._inflight += 1

    def _call_ended(self) -> None:
        self._inflight -= 1
        if self._inflight == 0:
            self._idle.set()

    async def drained(self) -> None:
        """Return once no unary call is in progress (streams are not counted)."""
        await self._idle.wait()

    # ------------------------------------------------------------------ helpers

    def _lock(self, address: str) -> trio.Lock:
        return self._send_locks.setdefault(address, trio.Lock())

    def _record(self, ref: str) -> AccountRecord:
        return self.keystore.get(ref)

    def _resolve(self, ref: str) -> tuple[str, bytes, AccountRecord | None]:
        """(address text, raw address, wallet record if any) for a name or any gh1 address."""
        if not ref:
            raise invalid("account is required (a wallet account name or gh1 address)")
        record = self.keystore.find(ref)
        if record is not None:
            return record.address, record.address_bytes, record
        if ref.lower().startswith("gh1"):
            try:
                raw = parse_address(ref)
            except InvalidAddressError as exc:
                raise invalid(f"account {ref[:60]!r} is not a valid address: {exc}") from None
            return format_address(raw), raw, None
        raise not_found(f"no wallet account {ref!r}")

    async def _unlock(self, record: AccountRecord, passphrase: str) -> Signer:
        # Argon2id takes a fraction of a second: keep it off the event loop.
        return await trio.to_thread.run_sync(unlock, record, passphrase)

    async def _chain(self) -> core.ChainView:
        info = await self.node.chain_info()
        return core.ChainView(
            chain_id=info.chain_id,
            fees=FeeSchedule.from_proto(info.fee_schedule),
            height=info.height,
        )

    async def _pending(self, address: str) -> list[types_pb2.TransactionInfo]:
        """This address's mempool transactions (listed first by GetTransactionsByAddress)."""
        out: list[types_pb2.TransactionInfo] = []
        token = ""
        for _ in range(HISTORY_SCAN_PAGES):
            resp = await self.node.transactions_by_address(address, 100, token, True)
            for info in resp.transactions:
                if info.receipt.status != PENDING:
                    return out
                out.append(info)
            token = resp.next_page_token
            if not token:
                break
        return out

    async def _view(self, address: str, raw: bytes) -> core.AccountView:
        # Mempool first, account second: a block landing in between then shows up as a
        # higher confirmed nonce (and the stale pending entries are dropped), never as a
        # nonce handed out twice.
        pending = await self._pending(address)
        resp = await self.node.get_account(address)
        acct = resp.account
        nonces, outgoing = core.pending_summary(raw, pending, acct.nonce)
        return core.AccountView(
            address=address,
            balance=acct.balance,
            nonce=acct.nonce,
            height=resp.height,
            pending_nonces=nonces,
            pending_outgoing=outgoing,
            public_key=acct.public_key if acct.HasField("public_key") else None,
            multisig=acct.multisig if acct.HasField("multisig") else None,
        )

    async def _submit(
        self, signed: types_pb2.SignedTransaction
    ) -> node_pb2.SubmitTransactionResponse:
        try:
            resp = await self.node.submit(signed)
        except NodeError as exc:
            if exc.code is Code.UNAVAILABLE:
                raise
            raise NodeError(
                exc.code, f"ghostd refused the transaction: {_strip(exc.message)}"
            ) from None
        log.info("transaction_submitted", tx_hash=signed.tx_hash.hex())
        return resp

    async def _sign_and_submit(
        self,
        record: AccountRecord,
        signer: Signer,
        payload: Callable[[types_pb2.Transaction], None],
        fee: int | None,
        nonce: int | None = None,
    ) -> tuple[
        types_pb2.SignedTransaction, types_pb2.Transaction, node_pb2.SubmitTransactionResponse
    ]:
        """Build a single-key transaction from `record`, fill nonce and fee, check funds,
        sign and submit it, all under the account's send lock."""
        async with self._lock(record.address):
            chain = await self._chain()
            view = await self._view(record.address, record.address_bytes)
            tx = core.base_tx(
                chain, record.address_bytes, view.next_nonce if nonce is None else nonce
            )
            tx.sender_key.CopyFrom(_record_key(record))
            payload(tx)
            tx_bytes = core.fill_fee(tx, chain.fees, fee)
            core.require_funds(view, core.cost(tx), f"account {record.name!r}")
            signed = core.sign_single(tx_bytes, signer)
            resp = await self._submit(signed)
        return signed, tx, resp

    # ------------------------------------------------------------------ accounts

    @unary
    async def CreateAccount(
        self, request: wallet_pb2.CreateAccountRequest, context: Any
    ) -> wallet_pb2.CreateAccountResponse:
        record = await self._new_account(request, None)
        return wallet_pb2.CreateAccountResponse(account=account_message(record))

    @unary
    async def ImportAccount(
        self, request: wallet_pb2.ImportAccountRequest, context: Any
    ) -> wallet_pb2.ImportAccountResponse:
        if not request.secret_key:
            raise invalid("secret_key is required: the raw private key to import")
        record = await self._new_account(request, bytes(request.secret_key))
        return wallet_pb2.ImportAccountResponse(account=account_message(record))

    async def _new_account(self, request: Any, secret: bytes | None) -> AccountRecord:
        """Create (secret None) or import an account; the secret never reaches a log line."""
        name = validate_name(request.name)
        if not request.passphrase:
            raise invalid("passphrase is required: it encrypts the private key")
        kt = request.key_type or types_pb2.KEY_TYPE_ED25519
        if kt not in (types_pb2.KEY_TYPE_ED25519, types_pb2.KEY_TYPE_SECP256K1):
            raise invalid("key_type must be KEY_TYPE_ED25519 or KEY_TYPE_SECP256K1")
        key_type = KeyType(kt)
        if self.keystore.find(name) is not None:
            raise WalletError(Code.ALREADY_EXISTS, f"an account named {name!r} already exists")
        if secret is not None:
            # Cheap checks before the Argon2id work: key validity, then a duplicate address.
            public = public_key_of(key_type, secret)
            address = format_address(derive_address(key_type, public))
            held = self.keystore.find(address)
            if held is not None:
                raise WalletError(
                    Code.ALREADY_EXISTS,
                    f"this wallet already holds address {address} (account {held.name!r})",
                )
        record = await trio.to_thread.run_sync(
            create_record, name, request.passphrase, key_type, self.kdf, secret
        )
        # Committed with synchronous=FULL before we answer: a crash after this loses nothing.
        await trio.to_thread.run_sync(self.keystore.add, record)
        log.info(
            "account_imported" if secret is not None else "account_created",
            account=name,
            address=record.address,
            key_type=key_type.name,
        )
        return record

    @unary
    async def ListAccounts(
        self, request: wallet_pb2.ListAccountsRequest, context: Any
    ) -> wallet_pb2.ListAccountsResponse:
        records, token = self.keystore.page(request.page_size, request.page_token)
        return wallet_pb2.ListAccountsResponse(
            accounts=[account_message(r) for r in records], next_page_token=token
        )

    @unary
    async def DeleteAccount(
        self, request: wallet_pb2.DeleteAccountRequest, context: Any
    ) -> wallet_pb2.DeleteAccountResponse:
        record = self._record(request.account)
        await self._unlock(record, request.passphrase)
        await trio.to_thread.run_sync(self.keystore.delete, record.name)
        log.info("account_deleted", account=record.name, address=record.address)
        return wallet_pb2.DeleteAccountResponse(address=record.address)

    @unary
    async def GetBalance(
        self, request: wallet_pb2.GetBalanceRequest, context: Any
    ) -> wallet_pb2.GetBalanceResponse:
        address, raw, _ = self._resolve(request.account)
        view = await self._view(address, raw)
        return wallet_pb2.GetBalanceResponse(
            address=address,
            balance=view.balance,
            pending_outgoing=view.pending_outgoing,
            next_nonce=view.next_nonce,
            height=view.height,
        )

    # ------------------------------------------------------------------ transactions

    @unary
    async def SendTransaction(
        self, request: wallet_pb2.SendTransactionRequest, context: Any
    ) -> wallet_pb2.SendTransactionResponse:
        record = self._record(request.account)
        to = core.parse_address_arg(request.to_address, "to_address")
        if request.amount <= 0:
            raise invalid("amount must be greater than 0 base units")
        signer = await self._unlock(record, request.passphrase)

        def payload(tx: types_pb2.Transaction) -> None:
            tx.transfer.to = to
            tx.transfer.amount = request.amount

        signed, tx, resp = await self._sign_and_submit(
            record,
            signer,
            payload,
            request.fee if request.HasField("fee") else None,
            request.nonce if request.HasField("nonce") else None,
        )
        return wallet_pb2.SendTransactionResponse(
            tx_hash=signed.tx_hash,
            transaction=signed,
            fee=tx.fee,
            nonce=tx.nonce,
            status=resp.status,
        )

    @unary
    async def BatchTransactions(
        self, request: wallet_pb2.BatchTransactionsRequest, context: Any
    ) -> wallet_pb2.BatchTransactionsResponse:
        record = self._record(request.account)
        items = []
        for i, t in enumerate(request.transfers):
            to = core.parse_address_arg(t.to_address, f"transfers[{i}].to_address")
            items.append(core.BatchItem(to, t.amount, t.fee if t.HasField("fee") else None))
        if not items:
            raise invalid("transfers is empty: a batch needs at least one transfer")
        signer = await self._unlock(record, request.passphrase)
        results: list[wallet_pb2.BatchResult] = []
        async with self._lock(record.address):
            chain = await self._chain()
            view = await self._view(record.address, record.address_bytes)
            # Everything is checked here; nothing has been submitted if this raises.
            plans = core.plan_batch(
                items, chain, view, _record_key(record), f"account {record.name!r}"
            )
            nonce = view.next_nonce
            stopped = False
            for plan in plans:
                if stopped:
                    results.append(
                        wallet_pb2.BatchResult(
                            fee=plan.tx.fee,
                            status=types_pb2.TRANSACTION_STATUS_REJECTED,
                            error="skipped: an earlier transfer in the batch failed",
                        )
                    )
                    continue
                tx_bytes = core.renonce(plan, nonce, chain.fees)
                signed = core.sign_single(tx_bytes, signer)
                try:
                    resp = await self._submit(signed)
                except NodeError as exc:
                    results.append(
                        wallet_pb2.BatchResult(
                            tx_hash=signed.tx_hash,
                            fee=plan.tx.fee,
                            nonce=plan.tx.nonce,
                            status=types_pb2.TRANSACTION_STATUS_REJECTED,
                            error=exc.message,
                        )
                    )
                    stopped = request.stop_on_error
                    continue  # the nonce stays free for the next transfer
                results.append(
                    wallet_pb2.BatchResult(
                        tx_hash=signed.tx_hash,
                        fee=plan.tx.fee,
                        nonce=plan.tx.nonce,
                        status=resp.status,
                    )
                )
                nonce += 1
        submitted = sum(1 for r in results if r.status == PENDING)
        log.info("batch_submitted", account=record.name, transfers=len(items), submitted=submitted)
        return wallet_pb2.BatchTransactionsResponse(results=results, submitted=submitted)

    @unary
    async def GetTransaction(
        self, request: wallet_pb2.GetTransactionRequest, context: Any
    ) -> wallet_pb2.GetTransactionResponse:
        if len(request.tx_hash) != 32:
            raise invalid(f"tx_hash must be 32 bytes, got {len(request.tx_hash)}")
        try:
            info = await self.node.get_transaction(request.tx_hash)
        except NodeError as exc:
            if exc.code is Code.NOT_FOUND:
                raise not_found(
                    f"no transaction {request.tx_hash.hex()} on chain or pending"
                ) from None
            raise
        return wallet_pb2.GetTransactionResponse(transaction=info)

    @unary
    async def GetTransactionHistory(
        self, request: wallet_pb2.GetTransactionHistoryRequest, context: Any
    ) -> wallet_pb2.GetTransactionHistoryResponse:
        address, _, _ = self._resolve(request.account)
        resp = await self.node.transactions_by_address(
            address, request.page_size, request.page_token, True
        )
        return wallet_pb2.GetTransactionHistoryResponse(
            transactions=resp.transactions, next_page_token=resp.next_page_token
        )

    async def _sender_key(
        self, ref: str
    ) -> tuple[str, bytes, AccountRecord | None, types_pb2.PublicKey | None, core.AccountView]:
        address, raw, record = self._resolve(ref)
        view = await self._view(address, raw)
        key = _record_key(record) if record is not None else view.public_key
        return address, raw, record, key, view

    @unary
    async def EstimateGas(
        self, request: wallet_pb2.EstimateGasRequest, context: Any
    ) -> wallet_pb2.EstimateGasResponse:
        kind = request.WhichOneof("kind")
        if kind is None:
            raise invalid("set transfer or transaction: the transaction to price")
        if kind == "transfer":
            to = core.parse_address_arg(request.transfer.to_address, "transfer.to_address")
            if request.transfer.amount <= 0:
                raise invalid("transfer.amount must be greater than 0 base units")
        _, raw, _, key, view = await self._sender_key(request.account)
        chain = await self._chain()
        if kind == "transfer":
            tx = core.base_tx(chain, raw, view.next_nonce)
            tx.transfer.to = to
            tx.transfer.amount = request.transfer.amount
        else:
            tx = types_pb2.Transaction()
            tx.CopyFrom(request.transaction)
            if tx.WhichOneof("payload") is None:
                raise invalid("transaction has no payload (transfer, register_domain, ...)")
        if tx.WhichOneof("authority") is None:
            # The sender's own authority sets the size: its key, the policy the chain learnt
            # from a multisig account's first spend, else an upper bound for a single key.
            if key is None and view.multisig is not None:
                tx.sender_multisig.CopyFrom(view.multisig)
            else:
                tx.sender_key.CopyFrom(key or _PLACEHOLDER_KEY)
        self._fill_defaults(tx, chain, raw, key or _PLACEHOLDER_KEY, view)
        est = core.estimate(tx, chain.fees)
        return wallet_pb2.EstimateGasResponse(
            gas_units=est.gas_units, gas_price=est.gas_price, base_fee=est.base_fee, fee=est.fee
        )

    # ------------------------------------------------------------------ signing

    @unary
    async def SignData(
        self, request: wallet_pb2.SignDataRequest, context: Any
    ) -> wallet_pb2.SignDataResponse:
        record = self._record(request.account)
        signer = await self._unlock(record, request.passphrase)
        return wallet_pb2.SignDataResponse(
            signature=signer.sign(SIGN_DATA_PREFIX + request.data),
            public_key=_record_key(record),
            address=record.address,
        )

    @staticmethod
    def _fill_defaults(
        tx: types_pb2.Transaction,
        chain: core.ChainView,
        raw: bytes,
        key: types_pb2.PublicKey,
        view: core.AccountView,
    ) -> None:
        """SignTransaction's filling rule: chain_id, sender, sender_key, nonce, timestamp
        where empty (the fee is filled by the caller)."""
        if not tx.chain_id:
            tx.chain_id = chain.chain_id
        elif tx.chain_id != chain.chain_id:
            raise invalid(
                f"transaction.chain_id {tx.chain_id!r} is not the node's chain {chain.chain_id!r}"
            )
        if tx.WhichOneof("authority") is None:
            tx.sender_key.CopyFrom(key)
        if not tx.sender:
            tx.sender = raw
        if tx.nonce == 0:
            tx.nonce = view.next_nonce
        if not tx.HasField("timestamp"):
            tx.timestamp.CopyFrom(core.now_timestamp())

    @unary
    async def SignTransaction(
        self, request: wallet_pb2.SignTransactionRequest, context: Any
    ) -> wallet_pb2.SignTransactionResponse:
        record = self._record(request.account)
        kind = request.WhichOneof("tx")
        if kind is None:
            raise invalid(
                "set transaction (to be completed and signed) or tx_bytes (signed as given)"
            )
        if kind == "tx_bytes":
            core.parse_tx_bytes(request.tx_bytes)  # malformed input fails before the KDF runs
        signer = await self._unlock(record, request.passphrase)
        async with self._lock(record.address):
            if kind == "transaction":
                tx = types_pb2.Transaction()
                tx.CopyFrom(request.transaction)
                if tx.WhichOneof("payload") is None:
                    raise invalid("transaction has no payload (transfer, register_domain, ...)")
                chain = await self._chain()
                multisig = tx.WhichOneof("authority") == "sender_multisig"
                if multisig:
                    policy, ms_raw = core.normalize_policy(tx.sender_multisig)
                    if tx.sender and tx.sender != ms_raw:
                        raise invalid("transaction.sender is not the address of sender_multisig")
                    tx.sender_multisig.CopyFrom(policy)
                    sender_raw = ms_raw
                else:
                    sender_raw = record.address_bytes
                    if tx.sender and tx.sender != sender_raw:
                        raise invalid(
                            f"transaction.sender is not the address of account {record.name!r}"
                        )
                view = await self._view(format_address(sender_raw), sender_raw)
                self._fill_defaults(tx, chain, sender_raw, _record_key(record), view)
                tx_bytes = core.fill_fee(tx, chain.fees, tx.fee or None)
            else:
                tx_bytes = bytes(request.tx_bytes)
                tx = core.parse_tx_bytes(tx_bytes)
            signature = signer.sign(tx_bytes)
            signed = types_pb2.SignedTransaction(tx_bytes=tx_bytes, tx_hash=tx_hash(tx_bytes))
            authority = tx.WhichOneof("authority")
            index = 0
            if authority == "sender_key":
                if tx.sender_key != _record_key(record):
                    raise invalid(
                        f"the transaction's sender_key is not the key of account {record.name!r}"
                    )
                signed.signature = signature
            elif authority == "sender_multisig":
                found = core.key_index(tx.sender_multisig, int(record.key_type), record.public_key)
                if found is None:
                    raise invalid(
                        f"account {record.name!r} is not a member of the transaction's "
                        "multisig policy"
                    )
                index = found
                signed.multisig_signatures.add(key_index=index, signature=signature)
            else:
                raise invalid("the transaction names no sender_key or sender_multisig")
            status = types_pb2.TRANSACTION_STATUS_UNSPECIFIED
            if request.submit:
                if authority != "sender_key":
                    raise invalid(
                        "submit works for single-key transactions only; use MultiSig to collect "
                        "signatures and submit a multisig transaction"
                    )
                status = (await self._submit(signed)).status
        return wallet_pb2.SignTransactionResponse(
            transaction=signed,
            signature=signature,
            public_key=_record_key(record),
            key_index=index,
            status=status,
        )

    @unary
    async def VerifySignature(
        self, request: wallet_pb2.VerifySignatureRequest, context: Any
    ) -> wallet_pb2.VerifySignatureResponse:
        which = request.WhichOneof("signer")
        if which is None:
            raise invalid("set public_key or account: whose signature to check")
        if which == "public_key":
            core.check_public_key(request.public_key, "public_key")
            key = request.public_key
        else:
            address, _, record = self._resolve(request.account)
            if record is not None:
                key = _record_key(record)
            else:
                acct = (await self.node.get_account(address)).account
                if not acct.HasField("public_key"):
                    raise not_found(
                        f"the public key of {address} is not known on chain (it is learnt from "
                        "the address's first transaction); pass public_key instead"
                    )
                key = acct.public_key
        message = request.data if request.raw else SIGN_DATA_PREFIX + request.data
        address = core.key_address(key)
        if len(request.signature) != 64:
            return wallet_pb2.VerifySignatureResponse(
                valid=False,
                address=address,
                error=f"a signature is 64 bytes, this one is {len(request.signature)}",
            )
        if verify_message(key.key_type, key.key, message, request.signature):
            return wallet_pb2.VerifySignatureResponse(valid=True, address=address)
        hint = (
            ""
            if request.raw
            else " (checked as a SignData signature over the prefix and data; "
            "set raw for a signature over the bytes themselves)"
        )
        return wallet_pb2.VerifySignatureResponse(
            valid=False,
            address=address,
            error="the signature does not match this key and data" + hint,
        )

    @unary
    async def MultiSig(
        self, request: wallet_pb2.MultiSigRequest, context: Any
    ) -> wallet_pb2.MultiSigResponse:
        if not request.HasField("policy"):
            raise invalid("policy is required: the threshold and the member public keys")
        policy, ms_raw = core.normalize_policy(request.policy)
        ms_address = format_address(ms_raw)
        kind = request.WhichOneof("tx")
        if kind is None:
            raise invalid("set transfer (to build the transaction) or tx_bytes (to add signatures)")
        if kind == "transfer":
            t = request.transfer
            to = core.parse_address_arg(t.to_address, "transfer.to_address")
            if t.amount <= 0:
                raise invalid("transfer.amount must be greater than 0 base units")
        else:
            tx = core.parse_tx_bytes(request.tx_bytes)
            if tx.WhichOneof("authority") != "sender_multisig" or tx.sender_multisig != policy:
                raise invalid("tx_bytes spend from another multisig policy than the one given")
            if tx.sender != ms_raw:
                raise invalid("tx_bytes name a sender that is not the policy's address")
        local: list[tuple[str, Signer]] = []
        for i, s in enumerate(request.local_signers):
            record = self.keystore.find(s.account) if s.account else None
            if record is None:
                raise not_found(f"local_signers[{i}]: no wallet account {s.account!r}")
            local.append((record.name, await self._unlock(record, s.passphrase)))
        external = [(e.public_key, bytes(e.signature)) for e in request.external_signatures]
        async with self._lock(ms_address):
            if kind == "transfer":
                chain = await self._chain()
                view = await self._view(ms_address, ms_raw)
                t = request.transfer
                tx = core.base_tx(
                    chain, ms_raw, t.nonce if t.HasField("nonce") else view.next_nonce
                )
                tx.sender_multisig.CopyFrom(policy)
                tx.transfer.to = to
                tx.transfer.amount = t.amount
                tx_bytes = core.fill_fee(tx, chain.fees, t.fee if t.HasField("fee") else None)
            else:
                tx_bytes = bytes(request.tx_bytes)
                view = None
            signatures = core.collect_signatures(tx_bytes, policy, local, external)
            digest = tx_hash(tx_bytes)
            submitted = False
            status = types_pb2.TRANSACTION_STATUS_UNSPECIFIED
            if len(signatures) >= policy.threshold and not request.dry_run:
                # Funds matter only now: the account may be funded between the two rounds.
                # (For tx_bytes, ghostd's own check reports it.)
                if view is not None:
                    core.require_funds(view, core.cost(tx), f"multisig account {ms_address}")
                signed = types_pb2.SignedTransaction(
                    tx_bytes=tx_bytes, multisig_signatures=signatures, tx_hash=digest
                )
                status = (await self._submit(signed)).status
                submitted = True
        log.info(
            "multisig",
            address=ms_address,
            signatures=len(signatures),
            threshold=policy.threshold,
            submitted=submitted,
        )
        return wallet_pb2.MultiSigResponse(
            multisig_address=ms_address,
            tx_bytes=tx_bytes,
            tx_hash=digest,
            signatures=signatures,
            threshold=policy.threshold,
            submitted=submitted,
            status=status,
        )

    # ------------------------------------------------------------------ identities

    @staticmethod
    def _check_identity_input(name: str, metadata: dict[str, str], *, update: bool) -> None:
        try:
            validate_identity_name(name)
            validate_metadata(metadata, allow_empty_values=update)
        except TxError as exc:
            raise invalid(exc.message) from None

    async def _identity(self, name: str) -> types_pb2.Identity:
        try:
            return await self.node.get_identity(name)
        except NodeError as exc:
            if exc.code is Code.NOT_FOUND:
                raise not_found(f"no identity named {name!r} on chain") from None
            raise

    @unary
    async def RegisterIdentity(
        self, request: wallet_pb2.RegisterIdentityRequest, context: Any
    ) -> wallet_pb2.RegisterIdentityResponse:
        record = self._record(request.account)
        metadata = dict(request.metadata)
        self._check_identity_input(request.name, metadata, update=False)
        if request.HasField("public_key"):
            core.check_public_key(request.public_key, "public_key")
        signer = await self._unlock(record, request.passphrase)

        def payload(tx: types_pb2.Transaction) -> None:
            tx.register_identity.name = request.name
            if request.HasField("public_key"):
                tx.register_identity.public_key.CopyFrom(request.public_key)
            tx.register_identity.metadata.update(metadata)

        signed, _, resp = await self._sign_and_submit(
            record, signer, payload, request.fee if request.HasField("fee") else None
        )
        return wallet_pb2.RegisterIdentityResponse(tx_hash=signed.tx_hash, status=resp.status)

    @unary
    async def UpdateIdentity(
        self, request: wallet_pb2.UpdateIdentityRequest, context: Any
    ) -> wallet_pb2.UpdateIdentityResponse:
        record = self._record(request.account)
        metadata = dict(request.metadata)
        self._check_identity_input(request.name, metadata, update=True)
        if request.HasField("public_key"):
            core.check_public_key(request.public_key, "public_key")
        current = await self._identity(request.name)
        if current.owner != record.address_bytes:
            raise WalletError(
                Code.PERMISSION_DENIED,
                f"identity {request.name!r} is owned by {format_address(current.owner)}, "
                f"not by account {record.name!r}",
            )
        signer = await self._unlock(record, request.passphrase)

        def payload(tx: types_pb2.Transaction) -> None:
            tx.update_identity.name = request.name
            if request.HasField("public_key"):
                tx.update_identity.public_key.CopyFrom(request.public_key)
            tx.update_identity.metadata.update(metadata)

        signed, _, resp = await self._sign_and_submit(
            record, signer, payload, request.fee if request.HasField("fee") else None
        )
        return wallet_pb2.UpdateIdentityResponse(tx_hash=signed.tx_hash, status=resp.status)

    @unary
    async def GetIdentity(
        self, request: wallet_pb2.GetIdentityRequest, context: Any
    ) -> wallet_pb2.GetIdentityResponse:
        address, raw, record = self._resolve(request.account)
        label = repr(record.name) if record else address
        # The chain indexes identities by name; the account's own RegisterIdentity
        # transactions (newest first) say which names to look at.
        token = ""
        seen: set[str] = set()
        for _ in range(HISTORY_SCAN_PAGES):
            resp = await self.node.transactions_by_address(address, 100, token, False)
            for info in resp.transactions:
                tx = info.transaction
                if (
                    tx.sender != raw
                    or tx.WhichOneof("payload") != "register_identity"
                    or info.receipt.status != types_pb2.TRANSACTION_STATUS_SUCCESS
                    or tx.register_identity.name in seen
                ):
                    continue
                name = tx.register_identity.name
                seen.add(name)
                try:
                    identity = await self.node.get_identity(name)
                except NodeError as exc:
                    if exc.code is Code.NOT_FOUND:
                        continue
                    raise
                if identity.owner == raw:
                    return wallet_pb2.GetIdentityResponse(identity=identity)
            token = resp.next_page_token
            if not token:
                break
        raise not_found(f"account {label} has no identity on chain")

    @unary
    async def ResolveIdentity(
        self, request: wallet_pb2.ResolveIdentityRequest, context: Any
    ) -> wallet_pb2.ResolveIdentityResponse:
        self._check_identity_input(request.name, {}, update=False)
        identity = await self._identity(request.name)
        return wallet_pb2.ResolveIdentityResponse(
            identity=identity, address=core.key_address(identity.public_key)
        )

    # ------------------------------------------------------------------ streams

    def _watch(self, ref: str) -> Callable[[], dict[bytes, str]]:
        """A function giving the watched addresses (raw -> label) now.

        One account: fixed. Empty: every wallet account, re-read when the key store changes,
        so an account created during the stream is followed too.
        """
        if ref:
            _, raw, record = self._resolve(ref)
            fixed = {raw: record.name if record else format_address(raw)}
            return lambda: fixed
        cache: dict[str, Any] = {"gen": -1, "map": {}}

        def current() -> dict[bytes, str]:
            if cache["gen"] != self.keystore.generation:
                cache["gen"] = self.keystore.generation
                cache["map"] = {r.address_bytes: r.name for r in self.keystore.all()}
            return cache["map"]

        return current

    async def _follow(
        self,
        open_stream: Callable[[int], AsyncIterator[Any]],
        start: int,
        describe: str,
    ) -> AsyncIterator[Any]:
        """Yield events of `open_stream(from_height)`, reopening it after ghostd drops it.

        Resumes at the last height seen (the caller skips what it already sent). Gives up
        with UNAVAILABLE when ghostd stays unreachable for stream_reconnect_timeout.
        """
        height = start
        delay = self.stream_retry_delay
        failing_since: float | None = None
        while True:
            try:
                async with aclosing(open_stream(height)) as events:
                    async for event in events:
                        failing_since = None
                        delay = self.stream_retry_delay
                        if event.height:
                            height = max(height, event.height)
                        yield event
                reason = "stream ended"
            except NodeError as exc:
                if exc.code is not Code.UNAVAILABLE:
                    raise
                reason = exc.message
            now = trio.current_time()
            failing_since = now if failing_since is None else failing_since
            if now - failing_since > self.stream_reconnect_timeout:
                raise WalletError(
                    Code.UNAVAILABLE,
                    f"lost ghostd while following {describe} and could not reconnect for "
                    f"{self.stream_reconnect_timeout:g}s: {reason}",
                )
            log.warning("node_stream_reconnect", stream=describe, from_height=height, reason=reason)
            await trio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def _start_height(self, request: Any) -> int:
        if request.HasField("from_height"):
            return request.from_height
        # "After the call starts" = after the current tip; explicit, so a reconnect can resume.
        return (await self.node.chain_info()).height + 1

    @streaming
    async def StreamTransactions(
        self, request: wallet_pb2.StreamTransactionsRequest, context: Any
    ) -> AsyncIterator[wallet_pb2.TransactionEvent]:
        watch = self._watch(request.account)
        start = await self._start_height(request)
        addresses = [format_address(a) for a in watch()] if request.account else []

        def open_stream(height: int) -> AsyncIterator[node_pb2.TransactionEvent]:
            return self.node.stream_transactions(
                node_pb2.StreamTransactionsRequest(
                    from_height=height, addresses=addresses, include_pending=request.include_pending
                )
            )

        last: tuple[int, int] | None = None
        async with aclosing(self._follow(open_stream, start, "transactions")) as events:
            async for event in events:
                if event.height:
                    if last is not None and (event.height, event.index) <= last:
                        continue  # replayed after a reconnect
                    last = (event.height, event.index)
                tx = event.transaction.transaction
                for raw, label in watch().items():
                    d = core.direction(raw, tx)
                    if d:
                        yield wallet_pb2.TransactionEvent(
                            account=label,
                            height=event.height,
                            index=event.index,
                            direction=d,
                            transaction=event.transaction,
                        )

    async def _balance_at(self, address: str, raw: bytes, height: int) -> int:
        """Confirmed balance of `address` after block `height`: today's balance minus the
        effect of its transactions in later blocks (fee income of a validator aside)."""
        for _ in range(3):
            first = await self.node.get_account(address)
            balance = first.account.balance
            tip = first.height
            token = ""
            done = False
            for _ in range(HISTORY_SCAN_PAGES):
                resp = await self.node.transactions_by_address(address, 100, token, False)
                for info in resp.transactions:
                    h = info.receipt.block_height
                    if h <= height:
                        done = True
                        break
                    if h <= tip:
                        balance -= core.balance_delta(raw, info)
                token = resp.next_page_token
                if done or not token:
                    break
            again = await self.node.get_account(address)
            if again.height == tip:
                return balance
        return balance  # the chain kept moving; the last computation is the best we have

    @streaming
    async def StreamBalanceUpdates(
        self, request: wallet_pb2.StreamBalanceRequest, context: Any
    ) -> AsyncIterator[wallet_pb2.BalanceUpdate]:
        watch = self._watch(request.account)
        start = await self._start_height(request)
        balances: dict[bytes, int] = {}
        for raw in watch():
            balances[raw] = await self._balance_at(format_address(raw), raw, start - 1)

        def open_stream(height: int) -> AsyncIterator[node_pb2.BlockEvent]:
            return self.node.stream_blocks(node_pb2.StreamBlocksRequest(from_height=height))

        next_height = start
        async with aclosing(self._follow(open_stream, start, "balances")) as events:
            async for event in events:
                if event.height < next_height:
                    continue  # replayed after a reconnect
                next_height = event.height + 1
                watched = watch()
                for raw in watched:
                    # Created during the stream: a fresh key had nothing before.
                    balances.setdefault(raw, 0)
                block = event.block
                decoded = []
                for stx in block.transactions:
                    tx = types_pb2.Transaction()
                    tx.ParseFromString(stx.tx_bytes)
                    decoded.append((stx.tx_hash, tx))
                proposer = block.header.proposer
                for raw, label in watched.items():
                    hashes = [h for h, tx in decoded if core.touches(raw, tx)]
                    delta = 0
                    for h in hashes:
                        delta += core.balance_delta(raw, await self.node.get_transaction(h))
                    if raw == proposer and decoded:
                        delta += sum(tx.fee for _, tx in decoded)
                    if not hashes and raw != proposer:
                        continue
                    if delta == 0 and not hashes:
                        continue
                    before = balances[raw]
                    after = before + delta
                    balances[raw] = after
                    yield wallet_pb2.BalanceUpdate(
                        account=label,
                        address=format_address(raw),
                        height=event.height,
                        balance=max(after, 0),
                        previous_balance=max(before, 0),
                        tx_hashes=hashes,
                        timestamp=block.header.timestamp,
                    )


def _strip(message: str) -> str:
    return message.removeprefix("ghostd: ")


__all__ = ["SERVICE", "WalletServicer", "account_message"]
