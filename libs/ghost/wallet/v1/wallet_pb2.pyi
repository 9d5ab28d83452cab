import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from ghost.node.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Direction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DIRECTION_UNSPECIFIED: _ClassVar[Direction]
    DIRECTION_INCOMING: _ClassVar[Direction]
    DIRECTION_OUTGOING: _ClassVar[Direction]
    DIRECTION_SELF: _ClassVar[Direction]
DIRECTION_UNSPECIFIED: Direction
DIRECTION_INCOMING: Direction
DIRECTION_OUTGOING: Direction
DIRECTION_SELF: Direction

class WalletAccount(_message.Message):
    __slots__ = ("name", "address", "address_bytes", "public_key", "created_at")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_BYTES_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    name: str
    address: str
    address_bytes: bytes
    public_key: _types_pb2.PublicKey
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., address: _Optional[str] = ..., address_bytes: _Optional[bytes] = ..., public_key: _Optional[_Union[_types_pb2.PublicKey, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateAccountRequest(_message.Message):
    __slots__ = ("name", "passphrase", "key_type")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PASSPHRASE_FIELD_NUMBER: _ClassVar[int]
    KEY_TYPE_FIELD_NUMBER: _ClassVar[int]
    name: str
    passphrase: str
    key_type: _types_pb2.KeyType
    def __init__(self, name: _Optional[str] = ..., passphrase: _Optional[str] = ..., key_type: _Optional[_Union[_types_pb2.KeyType, str]] = ...) -> None: ...

class CreateAccountResponse(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: WalletAccount
    def __init__(self, account: _Optional[_Union[WalletAccount, _Mapping]] = ...) -> None: ...

class ImportAccountRequest(_message.Message):
    __slots__ = ("name", "passphrase", "key_type", "secret_key")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PASSPHRASE_FIELD_NUMBER: _ClassVar[int]
    KEY_TYPE_FIELD_NUMBER: _ClassVar[int]
    SECRET_KEY_FIELD_NUMBER: _ClassVar[int]
    name: str
    passphrase: str
    key_type: _types_pb2.KeyType
    secret_key: bytes
    def __init__(self, name: _Optional[str] = ..., passphrase: _Optional[str] = ..., key_type: _Optional[_Union[_types_pb2.KeyType, str]] = ..., secret_key: _Optional[bytes] = ...) -> None: ...

class ImportAccountResponse(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: WalletAccount
    def __init__(self, account: _Optional[_Union[WalletAccount, _Mapping]] = ...) -> None: ...

class GetBalanceRequest(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: str
    def __init__(self, account: _Optional[str] = ...) -> None: ...

class GetBalanceResponse(_message.Message):
    __slots__ = ("address", "balance", "pending_outgoing", "next_nonce", "height")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    PENDING_OUTGOING_FIELD_NUMBER: _ClassVar[int]
    NEXT_NONCE_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    address: str
    balance: int
    pending_outgoing: int
    next_nonce: int
    height: int
    def __init__(self, address: _Optional[str] = ..., balance: _Optional[int] = ..., pending_outgoing: _Optional[int] = ..., next_nonce: _Optional[int] = ..., height: _Optional[int] = ...) -> None: ...

class ListAccountsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAccountsResponse(_message.Message):
    __slots__ = ("accounts", "next_page_token")
    ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    accounts: _containers.RepeatedCompositeFieldContainer[WalletAccount]
    next_page_token: str
    def __init__(self, accounts: _Optional[_Iterable[_Union[WalletAccount, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeleteAccountRequest(_message.Message):
    __slots__ = ("account", "passphrase")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    PASSPHRASE_FIELD_NUMBER: _ClassVar[int]
    account: str
    passphrase: str
    def __init__(self, account: _Optional[str] = ..., passphrase: _Optional[str] = ...) -> None: ...

class DeleteAccountResponse(_message.Message):
    __slots__ = ("address",)
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    address: str
    def __init__(self, address: _Optional[str] = ...) -> None: ...

class SendTransactionRequest(_message.Message):
    __slots__ = ("account", "passphrase", "to_address", "amount", "fee", "nonce")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    PASSPHRASE_FIELD_NUMBER: _ClassVar[int]
    TO_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    FEE_FIELD_NUMBER: _ClassVar[int]
    NONCE_FIELD_NUMBER: _ClassVar[int]
    account: str
    passphrase: str
    to_address: str
    amount: int
    fee: int
    nonce: int
    def __init__(self, account: _Optional[str] = ..., passphrase: _Optional[str] = ..., to_address: _Optional[str] = ..., amount: _Optional[int] = ..., fee: _Optional[int] = ..., nonce: _Optional[int] = ...) -> None: ...

class SendTransactionResponse(_message.Message):
    __slots__ = ("tx_hash", "transaction", "fee", "nonce", "status")
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    FEE_FIELD_NUMBER: _ClassVar[int]
    NONCE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    tx_hash: bytes
    transaction: _types_pb2.SignedTransaction
    fee: int
    nonce: int
    status: _types_pb2.TransactionStatus
    def __init__(self, tx_hash: _Optional[bytes] = ..., transaction: _Optional[_Union[_types_pb2.SignedTransaction, _Mapping]] = ..., fee: _Optional[int] = ..., nonce: _Optional[int] = ..., status: _Optional[_Union[_types_pb2.TransactionStatus, str]] = ...) -> None: ...

class BatchTransfer(_message.Message):
    __slots__ = ("to_address", "amount", "fee")
    TO_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    FEE_FIELD_NUMBER: _ClassVar[int]
    to_address: str
    amount: int
    fee: int
    def __init__(self, to_address: _Optional[str] = ..., amount: _Optional[int] = ..., fee: _Optional[int] = ...) -> None: ...

class BatchTransactionsRequest(_message.Message):
    __slots__ = ("account", "passphrase", "transfers", "stop_on_error")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    PASSPHRASE_FIELD_NUMBER: _ClassVar[int]
    TRANSFERS_FIELD_NUMBER: _ClassVar[int]
    STOP_ON_ERROR_FIELD_NUMBER: _ClassVar[int]
    account: str
    passphrase: str
    transfers: _containers.RepeatedCompositeFieldContainer[BatchTransfer]
    stop_on_error: bool
    def __init__(self, account: _Optional[str] = ..., passphrase: _Optional[str] = ..., transfers: _Optional[_Iterable[_Union[BatchTransfer, _Mapping]]] = ..., stop_on_error: _Optional[bool] = ...) -> None: ...

class BatchResult(_message.Message):
    __slots__ = ("tx_hash", "fee", "nonce", "status", "error")
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    FEE_FIELD_NUMBER: _ClassVar[int]
    NONCE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    tx_hash: bytes
    fee: int
    nonce: int
    status: _types_pb2.TransactionStatus
    error: str
    def __init__(self, tx_hash: _Optional[bytes] = ..., fee: _Optional[int] = ..., nonce: _Optional[int] = ..., status: _Optional[_Union[_types_pb2.TransactionStatus, str]] = ..., error: _Optional[str] = ...) -> None: ...

class BatchTransactionsResponse(_message.Message):
    __slots__ = ("results", "submitted")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[BatchResult]
    submitted: int
    def __init__(self, results: _Optional[_Iterable[_Union[BatchResult, _Mapping]]] = ..., submitted: _Optional[int] = ...) -> None: ...

class GetTransactionRequest(_message.Message):
    __slots__ = ("tx_hash",)
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    tx_hash: bytes
    def __init__(self, tx_hash: _Optional[bytes] = ...) -> None: ...

class GetTransactionResponse(_message.Message):
    __slots__ = ("transaction",)
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    transaction: _types_pb2.TransactionInfo
    def __init__(self, transaction: _Optional[_Union[_types_pb2.TransactionInfo, _Mapping]] = ...) -> None: ...

class GetTransactionHistoryRequest(_message.Message):
    __slots__ = ("account", "page_size", "page_token")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    account: str
    page_size: int
    page_token: str
    def __init__(self, account: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class GetTransactionHistoryResponse(_message.Message):
    __slots__ = ("transactions", "next_page_token")
    TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    transactions: _containers.RepeatedCompositeFieldContainer[_types_pb2.TransactionInfo]
    next_page_token: str
    def __init__(self, transactions: _Optional[_Iterable[_Union[_types_pb2.TransactionInfo, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class TransferSpec(_message.Message):
    __slots__ = ("to_address", "amount")
    TO_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    to_address: str
    amount: int
    def __init__(self, to_address: _Optional[str] = ..., amount: _Optional[int] = ...) -> None: ...

class EstimateGasRequest(_message.Message):
    __slots__ = ("account", "transfer", "transaction")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    account: str
    transfer: TransferSpec
    transaction: _types_pb2.Transaction
    def __init__(self, account: _Optional[str] = ..., transfer: _Optional[_Union[TransferSpec, _Mapping]] = ..., transaction: _Optional[_Union[_types_pb2.Transaction, _Mapping]] = ...) -> None: ...

class EstimateGasResponse(_message.Message):
    __slots__ = ("gas_units", "gas_price", "base_fee", "fee")
    GAS_UNITS_FIELD_NUMBER: _ClassVar[int]
    GAS_PRICE_FIELD_NUMBER: _ClassVar[int]
    BASE_FEE_FIELD_NUMBER: _ClassVar[int]
    FEE_FIELD_NUMBER: _ClassVar[int]
    gas_units: int
    gas_price: int
    base_fee: int
    fee: int
    def __init__(self, gas_units: _Optional[int] = ..., gas_price: _Optional[int] = ..., base_fee: _Optional[int] = ..., fee: _Optional[int] = ...) -> None: ...

class SignDataRequest(_message.Message):
    __slots__ = ("account", "passphrase", "data")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    PASSPHRASE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    account: str
    passphrase: str
    data: bytes
    def __init__(self, account: _Optional[str] = ..., passphrase: _Optional[str] = ..., data: _Optional[bytes] = ...) -> None: ...

class SignDataResponse(_message.Message):
    __slots__ = ("signature", "public_key", "address")
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    signature: bytes
    public_key: _types_pb2.PublicKey
    address: str
    def __init__(self, signature: _Optional[bytes] = ..., public_key: _Optional[_Union[_types_pb2.PublicKey, _Mapping]] = ..., address: _Optional[str] = ...) -> None: ...

class SignTransactionRequest(_message.Message):
    __slots__ = ("account", "passphrase", "transaction", "tx_bytes", "submit")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    PASSPHRASE_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    TX_BYTES_FIELD_NUMBER: _ClassVar[int]
    SUBMIT_FIELD_NUMBER: _ClassVar[int]
    account: str
    passphrase: str
    transaction: _types_pb2.Transaction
    tx_bytes: bytes
    submit: bool
    def __init__(self, account: _Optional[str] = ..., passphrase: _Optional[str] = ..., transaction: _Optional[_Union[_types_pb2.Transaction, _Mapping]] = ..., tx_bytes: _Optional[bytes] = ..., submit: _Optional[bool] = ...) -> None: ...

class SignTransactionResponse(_message.Message):
    __slots__ = ("transaction", "signature", "public_key", "key_index", "status")
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    KEY_INDEX_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    transaction: _types_pb2.SignedTransaction
    signature: bytes
    public_key: _types_pb2.PublicKey
    key_index: int
    status: _types_pb2.TransactionStatus
    def __init__(self, transaction: _Optional[_Union[_types_pb2.SignedTransaction, _Mapping]] = ..., signature: _Optional[bytes] = ..., public_key: _Optional[_Union[_types_pb2.PublicKey, _Mapping]] = ..., key_index: _Optional[int] = ..., status: _Optional[_Union[_types_pb2.TransactionStatus, str]] = ...) -> None: ...

class VerifySignatureRequest(_message.Message):
    __slots__ = ("public_key", "account", "data", "signature", "raw")
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    RAW_FIELD_NUMBER: _ClassVar[int]
    public_key: _types_pb2.PublicKey
    account: str
    data: bytes
    signature: bytes
    raw: bool
    def __init__(self, public_key: _Optional[_Union[_types_pb2.PublicKey, _Mapping]] = ..., account: _Optional[str] = ..., data: _Optional[bytes] = ..., signature: _Optional[bytes] = ..., raw: _Optional[bool] = ...) -> None: ...

class VerifySignatureResponse(_message.Message):
    __slots__ = ("valid", "address", "error")
    VALID_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    valid: bool
    address: str
    error: str
    def __init__(self, valid: _Optional[bool] = ..., address: _Optional[str] = ..., error: _Optional[str] = ...) -> None: ...

class ExternalSignature(_message.Message):
    __slots__ = ("public_key", "signature")
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    public_key: _types_pb2.PublicKey
    signature: bytes
    def __init__(self, public_key: _Optional[_Union[_types_pb2.PublicKey, _Mapping]] = ..., signature: _Optional[bytes] = ...) -> None: ...

class LocalSigner(_message.Message):
    __slots__ = ("account", "passphrase")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    PASSPHRASE_FIELD_NUMBER: _ClassVar[int]
    account: str
    passphrase: str
    def __init__(self, account: _Optional[str] = ..., passphrase: _Optional[str] = ...) -> None: ...

class MultiSigTransfer(_message.Message):
    __slots__ = ("to_address", "amount", "fee", "nonce")
    TO_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    FEE_FIELD_NUMBER: _ClassVar[int]
    NONCE_FIELD_NUMBER: _ClassVar[int]
    to_address: str
    amount: int
    fee: int
    nonce: int
    def __init__(self, to_address: _Optional[str] = ..., amount: _Optional[int] = ..., fee: _Optional[int] = ..., nonce: _Optional[int] = ...) -> None: ...

class MultiSigRequest(_message.Message):
    __slots__ = ("policy", "transfer", "tx_bytes", "local_signers", "external_signatures", "dry_run")
    POLICY_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    TX_BYTES_FIELD_NUMBER: _ClassVar[int]
    LOCAL_SIGNERS_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_SIGNATURES_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    policy: _types_pb2.MultiSigPolicy
    transfer: MultiSigTransfer
    tx_bytes: bytes
    local_signers: _containers.RepeatedCompositeFieldContainer[LocalSigner]
    external_signatures: _containers.RepeatedCompositeFieldContainer[ExternalSignature]
    dry_run: bool
    def __init__(self, policy: _Optional[_Union[_types_pb2.MultiSigPolicy, _Mapping]] = ..., transfer: _Optional[_Union[MultiSigTransfer, _Mapping]] = ..., tx_bytes: _Optional[bytes] = ..., local_signers: _Optional[_Iterable[_Union[LocalSigner, _Mapping]]] = ..., external_signatures: _Optional[_Iterable[_Union[ExternalSignature, _Mapping]]] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class MultiSigResponse(_message.Message):
    __slots__ = ("multisig_address", "tx_bytes", "tx_hash", "signatures", "threshold", "submitted", "status")
    MULTISIG_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    TX_BYTES_FIELD_NUMBER: _ClassVar[int]
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    SIGNATURES_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    multisig_address: str
    tx_bytes: bytes
    tx_hash: bytes
    signatures: _containers.RepeatedCompositeFieldContainer[_types_pb2.MultiSigSignature]
    threshold: int
    submitted: bool
    status: _types_pb2.TransactionStatus
    def __init__(self, multisig_address: _Optional[str] = ..., tx_bytes: _Optional[bytes] = ..., tx_hash: _Optional[bytes] = ..., signatures: _Optional[_Iterable[_Union[_types_pb2.MultiSigSignature, _Mapping]]] = ..., threshold: _Optional[int] = ..., submitted: _Optional[bool] = ..., status: _Optional[_Union[_types_pb2.TransactionStatus, str]] = ...) -> None: ...

class GetIdentityRequest(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: str
    def __init__(self, account: _Optional[str] = ...) -> None: ...

class GetIdentityResponse(_message.Message):
    __slots__ = ("identity",)
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    identity: _types_pb2.Identity
    def __init__(self, identity: _Optional[_Union[_types_pb2.Identity, _Mapping]] = ...) -> None: ...

class RegisterIdentityRequest(_message.Message):
    __slots__ = ("account", "passphrase", "name", "public_key", "metadata", "fee")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    PASSPHRASE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    FEE_FIELD_NUMBER: _ClassVar[int]
    account: str
    passphrase: str
    name: str
    public_key: _types_pb2.PublicKey
    metadata: _containers.ScalarMap[str, str]
    fee: int
    def __init__(self, account: _Optional[str] = ..., passphrase: _Optional[str] = ..., name: _Optional[str] = ..., public_key: _Optional[_Union[_types_pb2.PublicKey, _Mapping]] = ..., metadata: _Optional[_Mapping[str, str]] = ..., fee: _Optional[int] = ...) -> None: ...

class RegisterIdentityResponse(_message.Message):
    __slots__ = ("tx_hash", "status")
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    tx_hash: bytes
    status: _types_pb2.TransactionStatus
    def __init__(self, tx_hash: _Optional[bytes] = ..., status: _Optional[_Union[_types_pb2.TransactionStatus, str]] = ...) -> None: ...

class UpdateIdentityRequest(_message.Message):
    __slots__ = ("account", "passphrase", "name", "public_key", "metadata", "fee")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    PASSPHRASE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    FEE_FIELD_NUMBER: _ClassVar[int]
    account: str
    passphrase: str
    name: str
    public_key: _types_pb2.PublicKey
    metadata: _containers.ScalarMap[str, str]
    fee: int
    def __init__(self, account: _Optional[str] = ..., passphrase: _Optional[str] = ..., name: _Optional[str] = ..., public_key: _Optional[_Union[_types_pb2.PublicKey, _Mapping]] = ..., metadata: _Optional[_Mapping[str, str]] = ..., fee: _Optional[int] = ...) -> None: ...

class UpdateIdentityResponse(_message.Message):
    __slots__ = ("tx_hash", "status")
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    tx_hash: bytes
    status: _types_pb2.TransactionStatus
    def __init__(self, tx_hash: _Optional[bytes] = ..., status: _Optional[_Union[_types_pb2.TransactionStatus, str]] = ...) -> None: ...

class ResolveIdentityRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ResolveIdentityResponse(_message.Message):
    __slots__ = ("identity", "address")
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    identity: _types_pb2.Identity
    address: str
    def __init__(self, identity: _Optional[_Union[_types_pb2.Identity, _Mapping]] = ..., address: _Optional[str] = ...) -> None: ...

class StreamTransactionsRequest(_message.Message):
    __slots__ = ("account", "from_height", "include_pending")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    FROM_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_PENDING_FIELD_NUMBER: _ClassVar[int]
    account: str
    from_height: int
    include_pending: bool
    def __init__(self, account: _Optional[str] = ..., from_height: _Optional[int] = ..., include_pending: _Optional[bool] = ...) -> None: ...

class TransactionEvent(_message.Message):
    __slots__ = ("account", "height", "index", "direction", "transaction")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    account: str
    height: int
    index: int
    direction: Direction
    transaction: _types_pb2.TransactionInfo
    def __init__(self, account: _Optional[str] = ..., height: _Optional[int] = ..., index: _Optional[int] = ..., direction: _Optional[_Union[Direction, str]] = ..., transaction: _Optional[_Union[_types_pb2.TransactionInfo, _Mapping]] = ...) -> None: ...

class StreamBalanceRequest(_message.Message):
    __slots__ = ("account", "from_height")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    FROM_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    account: str
    from_height: int
    def __init__(self, account: _Optional[str] = ..., from_height: _Optional[int] = ...) -> None: ...

class BalanceUpdate(_message.Message):
    __slots__ = ("account", "address", "height", "balance", "previous_balance", "tx_hashes", "timestamp")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_BALANCE_FIELD_NUMBER: _ClassVar[int]
    TX_HASHES_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    account: str
    address: str
    height: int
    balance: int
    previous_balance: int
    tx_hashes: _containers.RepeatedScalarFieldContainer[bytes]
    timestamp: _timestamp_pb2.Timestamp
    def __init__(self, account: _Optional[str] = ..., address: _Optional[str] = ..., height: _Optional[int] = ..., balance: _Optional[int] = ..., previous_balance: _Optional[int] = ..., tx_hashes: _Optional[_Iterable[bytes]] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
