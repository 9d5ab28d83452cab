import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class KeyType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    KEY_TYPE_UNSPECIFIED: _ClassVar[KeyType]
    KEY_TYPE_ED25519: _ClassVar[KeyType]
    KEY_TYPE_SECP256K1: _ClassVar[KeyType]

class TransactionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TRANSACTION_STATUS_UNSPECIFIED: _ClassVar[TransactionStatus]
    TRANSACTION_STATUS_PENDING: _ClassVar[TransactionStatus]
    TRANSACTION_STATUS_SUCCESS: _ClassVar[TransactionStatus]
    TRANSACTION_STATUS_FAILED: _ClassVar[TransactionStatus]
    TRANSACTION_STATUS_REJECTED: _ClassVar[TransactionStatus]

class RecordType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RECORD_TYPE_UNSPECIFIED: _ClassVar[RecordType]
    RECORD_TYPE_A: _ClassVar[RecordType]
    RECORD_TYPE_AAAA: _ClassVar[RecordType]
    RECORD_TYPE_TXT: _ClassVar[RecordType]
    RECORD_TYPE_CNAME: _ClassVar[RecordType]
    RECORD_TYPE_MX: _ClassVar[RecordType]
    RECORD_TYPE_SRV: _ClassVar[RecordType]
    RECORD_TYPE_GHOST: _ClassVar[RecordType]
    RECORD_TYPE_ZNS: _ClassVar[RecordType]
    RECORD_TYPE_ETH: _ClassVar[RecordType]

class DomainEventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DOMAIN_EVENT_TYPE_UNSPECIFIED: _ClassVar[DomainEventType]
    DOMAIN_EVENT_TYPE_REGISTERED: _ClassVar[DomainEventType]
    DOMAIN_EVENT_TYPE_UPDATED: _ClassVar[DomainEventType]
    DOMAIN_EVENT_TYPE_TRANSFERRED: _ClassVar[DomainEventType]
    DOMAIN_EVENT_TYPE_DELETED: _ClassVar[DomainEventType]
    DOMAIN_EVENT_TYPE_RECORD_SET: _ClassVar[DomainEventType]
    DOMAIN_EVENT_TYPE_RECORD_DELETED: _ClassVar[DomainEventType]
KEY_TYPE_UNSPECIFIED: KeyType
KEY_TYPE_ED25519: KeyType
KEY_TYPE_SECP256K1: KeyType
TRANSACTION_STATUS_UNSPECIFIED: TransactionStatus
TRANSACTION_STATUS_PENDING: TransactionStatus
TRANSACTION_STATUS_SUCCESS: TransactionStatus
TRANSACTION_STATUS_FAILED: TransactionStatus
TRANSACTION_STATUS_REJECTED: TransactionStatus
RECORD_TYPE_UNSPECIFIED: RecordType
RECORD_TYPE_A: RecordType
RECORD_TYPE_AAAA: RecordType
RECORD_TYPE_TXT: RecordType
RECORD_TYPE_CNAME: RecordType
RECORD_TYPE_MX: RecordType
RECORD_TYPE_SRV: RecordType
RECORD_TYPE_GHOST: RecordType
RECORD_TYPE_ZNS: RecordType
RECORD_TYPE_ETH: RecordType
DOMAIN_EVENT_TYPE_UNSPECIFIED: DomainEventType
DOMAIN_EVENT_TYPE_REGISTERED: DomainEventType
DOMAIN_EVENT_TYPE_UPDATED: DomainEventType
DOMAIN_EVENT_TYPE_TRANSFERRED: DomainEventType
DOMAIN_EVENT_TYPE_DELETED: DomainEventType
DOMAIN_EVENT_TYPE_RECORD_SET: DomainEventType
DOMAIN_EVENT_TYPE_RECORD_DELETED: DomainEventType

class PublicKey(_message.Message):
    __slots__ = ("key_type", "key")
    KEY_TYPE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    key_type: KeyType
    key: bytes
    def __init__(self, key_type: _Optional[_Union[KeyType, str]] = ..., key: _Optional[bytes] = ...) -> None: ...

class MultiSigPolicy(_message.Message):
    __slots__ = ("threshold", "public_keys")
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEYS_FIELD_NUMBER: _ClassVar[int]
    threshold: int
    public_keys: _containers.RepeatedCompositeFieldContainer[PublicKey]
    def __init__(self, threshold: _Optional[int] = ..., public_keys: _Optional[_Iterable[_Union[PublicKey, _Mapping]]] = ...) -> None: ...

class MultiSigSignature(_message.Message):
    __slots__ = ("key_index", "signature")
    KEY_INDEX_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    key_index: int
    signature: bytes
    def __init__(self, key_index: _Optional[int] = ..., signature: _Optional[bytes] = ...) -> None: ...

class Transfer(_message.Message):
    __slots__ = ("to", "amount")
    TO_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    to: bytes
    amount: int
    def __init__(self, to: _Optional[bytes] = ..., amount: _Optional[int] = ...) -> None: ...

class RegisterDomain(_message.Message):
    __slots__ = ("name", "owner", "owner_public_key", "records", "ttl")
    NAME_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    OWNER_PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    name: str
    owner: bytes
    owner_public_key: PublicKey
    records: _containers.RepeatedCompositeFieldContainer[DomainRecord]
    ttl: int
    def __init__(self, name: _Optional[str] = ..., owner: _Optional[bytes] = ..., owner_public_key: _Optional[_Union[PublicKey, _Mapping]] = ..., records: _Optional[_Iterable[_Union[DomainRecord, _Mapping]]] = ..., ttl: _Optional[int] = ...) -> None: ...

class UpdateDomain(_message.Message):
    __slots__ = ("name", "ttl", "owner_public_key")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    OWNER_PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    name: str
    ttl: int
    owner_public_key: PublicKey
    def __init__(self, name: _Optional[str] = ..., ttl: _Optional[int] = ..., owner_public_key: _Optional[_Union[PublicKey, _Mapping]] = ...) -> None: ...

class TransferDomain(_message.Message):
    __slots__ = ("name", "new_owner")
    NAME_FIELD_NUMBER: _ClassVar[int]
    NEW_OWNER_FIELD_NUMBER: _ClassVar[int]
    name: str
    new_owner: bytes
    def __init__(self, name: _Optional[str] = ..., new_owner: _Optional[bytes] = ...) -> None: ...

class DeleteDomain(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class SetRecord(_message.Message):
    __slots__ = ("name", "record")
    NAME_FIELD_NUMBER: _ClassVar[int]
    RECORD_FIELD_NUMBER: _ClassVar[int]
    name: str
    record: DomainRecord
    def __init__(self, name: _Optional[str] = ..., record: _Optional[_Union[DomainRecord, _Mapping]] = ...) -> None: ...

class DeleteRecord(_message.Message):
    __slots__ = ("name", "record_type", "host", "value")
    NAME_FIELD_NUMBER: _ClassVar[int]
    RECORD_TYPE_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    name: str
    record_type: RecordType
    host: str
    value: str
    def __init__(self, name: _Optional[str] = ..., record_type: _Optional[_Union[RecordType, str]] = ..., host: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class RegisterIdentity(_message.Message):
    __slots__ = ("name", "public_key", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    name: str
    public_key: PublicKey
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, name: _Optional[str] = ..., public_key: _Optional[_Union[PublicKey, _Mapping]] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class UpdateIdentity(_message.Message):
    __slots__ = ("name", "public_key", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    name: str
    public_key: PublicKey
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, name: _Optional[str] = ..., public_key: _Optional[_Union[PublicKey, _Mapping]] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class Transaction(_message.Message):
    __slots__ = ("chain_id", "sender", "sender_key", "sender_multisig", "nonce", "fee", "timestamp", "transfer", "register_domain", "update_domain", "transfer_domain", "delete_domain", "set_record", "delete_record", "register_identity", "update_identity")
    CHAIN_ID_FIELD_NUMBER: _ClassVar[int]
    SENDER_FIELD_NUMBER: _ClassVar[int]
    SENDER_KEY_FIELD_NUMBER: _ClassVar[int]
    SENDER_MULTISIG_FIELD_NUMBER: _ClassVar[int]
    NONCE_FIELD_NUMBER: _ClassVar[int]
    FEE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_FIELD_NUMBER: _ClassVar[int]
    REGISTER_DOMAIN_FIELD_NUMBER: _ClassVar[int]
    UPDATE_DOMAIN_FIELD_NUMBER: _ClassVar[int]
    TRANSFER_DOMAIN_FIELD_NUMBER: _ClassVar[int]
    DELETE_DOMAIN_FIELD_NUMBER: _ClassVar[int]
    SET_RECORD_FIELD_NUMBER: _ClassVar[int]
    DELETE_RECORD_FIELD_NUMBER: _ClassVar[int]
    REGISTER_IDENTITY_FIELD_NUMBER: _ClassVar[int]
    UPDATE_IDENTITY_FIELD_NUMBER: _ClassVar[int]
    chain_id: str
    sender: bytes
    sender_key: PublicKey
    sender_multisig: MultiSigPolicy
    nonce: int
    fee: int
    timestamp: _timestamp_pb2.Timestamp
    transfer: Transfer
    register_domain: RegisterDomain
    update_domain: UpdateDomain
    transfer_domain: TransferDomain
    delete_domain: DeleteDomain
    set_record: SetRecord
    delete_record: DeleteRecord
    register_identity: RegisterIdentity
    update_identity: UpdateIdentity
    def __init__(self, chain_id: _Optional[str] = ..., sender: _Optional[bytes] = ..., sender_key: _Optional[_Union[PublicKey, _Mapping]] = ..., sender_multisig: _Optional[_Union[MultiSigPolicy, _Mapping]] = ..., nonce: _Optional[int] = ..., fee: _Optional[int] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., transfer: _Optional[_Union[Transfer, _Mapping]] = ..., register_domain: _Optional[_Union[RegisterDomain, _Mapping]] = ..., update_domain: _Optional[_Union[UpdateDomain, _Mapping]] = ..., transfer_domain: _Optional[_Union[TransferDomain, _Mapping]] = ..., delete_domain: _Optional[_Union[DeleteDomain, _Mapping]] = ..., set_record: _Optional[_Union[SetRecord, _Mapping]] = ..., delete_record: _Optional[_Union[DeleteRecord, _Mapping]] = ..., register_identity: _Optional[_Union[RegisterIdentity, _Mapping]] = ..., update_identity: _Optional[_Union[UpdateIdentity, _Mapping]] = ...) -> None: ...

class SignedTransaction(_message.Message):
    __slots__ = ("tx_bytes", "signature", "multisig_signatures", "tx_hash")
    TX_BYTES_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    MULTISIG_SIGNATURES_FIELD_NUMBER: _ClassVar[int]
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    tx_bytes: bytes
    signature: bytes
    multisig_signatures: _containers.RepeatedCompositeFieldContainer[MultiSigSignature]
    tx_hash: bytes
    def __init__(self, tx_bytes: _Optional[bytes] = ..., signature: _Optional[bytes] = ..., multisig_signatures: _Optional[_Iterable[_Union[MultiSigSignature, _Mapping]]] = ..., tx_hash: _Optional[bytes] = ...) -> None: ...

class TransactionReceipt(_message.Message):
    __slots__ = ("tx_hash", "status", "block_height", "block_hash", "index", "fee_paid", "error", "block_time")
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    BLOCK_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    BLOCK_HASH_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    FEE_PAID_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    BLOCK_TIME_FIELD_NUMBER: _ClassVar[int]
    tx_hash: bytes
    status: TransactionStatus
    block_height: int
    block_hash: bytes
    index: int
    fee_paid: int
    error: str
    block_time: _timestamp_pb2.Timestamp
    def __init__(self, tx_hash: _Optional[bytes] = ..., status: _Optional[_Union[TransactionStatus, str]] = ..., block_height: _Optional[int] = ..., block_hash: _Optional[bytes] = ..., index: _Optional[int] = ..., fee_paid: _Optional[int] = ..., error: _Optional[str] = ..., block_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TransactionInfo(_message.Message):
    __slots__ = ("signed", "transaction", "receipt", "sender_address", "to_address")
    SIGNED_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    SENDER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    TO_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    signed: SignedTransaction
    transaction: Transaction
    receipt: TransactionReceipt
    sender_address: str
    to_address: str
    def __init__(self, signed: _Optional[_Union[SignedTransaction, _Mapping]] = ..., transaction: _Optional[_Union[Transaction, _Mapping]] = ..., receipt: _Optional[_Union[TransactionReceipt, _Mapping]] = ..., sender_address: _Optional[str] = ..., to_address: _Optional[str] = ...) -> None: ...

class BlockHeader(_message.Message):
    __slots__ = ("chain_id", "height", "prev_hash", "tx_root", "state_root", "timestamp", "proposer", "proposer_key", "tx_count")
    CHAIN_ID_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    PREV_HASH_FIELD_NUMBER: _ClassVar[int]
    TX_ROOT_FIELD_NUMBER: _ClassVar[int]
    STATE_ROOT_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    PROPOSER_FIELD_NUMBER: _ClassVar[int]
    PROPOSER_KEY_FIELD_NUMBER: _ClassVar[int]
    TX_COUNT_FIELD_NUMBER: _ClassVar[int]
    chain_id: str
    height: int
    prev_hash: bytes
    tx_root: bytes
    state_root: bytes
    timestamp: _timestamp_pb2.Timestamp
    proposer: bytes
    proposer_key: PublicKey
    tx_count: int
    def __init__(self, chain_id: _Optional[str] = ..., height: _Optional[int] = ..., prev_hash: _Optional[bytes] = ..., tx_root: _Optional[bytes] = ..., state_root: _Optional[bytes] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., proposer: _Optional[bytes] = ..., proposer_key: _Optional[_Union[PublicKey, _Mapping]] = ..., tx_count: _Optional[int] = ...) -> None: ...

class Block(_message.Message):
    __slots__ = ("header_bytes", "signature", "hash", "transactions", "header")
    HEADER_BYTES_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    HEADER_FIELD_NUMBER: _ClassVar[int]
    header_bytes: bytes
    signature: bytes
    hash: bytes
    transactions: _containers.RepeatedCompositeFieldContainer[SignedTransaction]
    header: BlockHeader
    def __init__(self, header_bytes: _Optional[bytes] = ..., signature: _Optional[bytes] = ..., hash: _Optional[bytes] = ..., transactions: _Optional[_Iterable[_Union[SignedTransaction, _Mapping]]] = ..., header: _Optional[_Union[BlockHeader, _Mapping]] = ...) -> None: ...

class Account(_message.Message):
    __slots__ = ("address", "address_bytes", "balance", "nonce", "public_key", "multisig", "updated_height")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_BYTES_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    NONCE_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    MULTISIG_FIELD_NUMBER: _ClassVar[int]
    UPDATED_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    address: str
    address_bytes: bytes
    balance: int
    nonce: int
    public_key: PublicKey
    multisig: MultiSigPolicy
    updated_height: int
    def __init__(self, address: _Optional[str] = ..., address_bytes: _Optional[bytes] = ..., balance: _Optional[int] = ..., nonce: _Optional[int] = ..., public_key: _Optional[_Union[PublicKey, _Mapping]] = ..., multisig: _Optional[_Union[MultiSigPolicy, _Mapping]] = ..., updated_height: _Optional[int] = ...) -> None: ...

class DomainRecord(_message.Message):
    __slots__ = ("type", "host", "value", "ttl", "priority", "weight", "port")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    type: RecordType
    host: str
    value: str
    ttl: int
    priority: int
    weight: int
    port: int
    def __init__(self, type: _Optional[_Union[RecordType, str]] = ..., host: _Optional[str] = ..., value: _Optional[str] = ..., ttl: _Optional[int] = ..., priority: _Optional[int] = ..., weight: _Optional[int] = ..., port: _Optional[int] = ...) -> None: ...

class Domain(_message.Message):
    __slots__ = ("name", "owner", "owner_address", "owner_public_key", "records", "ttl", "registered_height", "updated_height", "registered_at", "updated_at")
    NAME_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    OWNER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    OWNER_PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    name: str
    owner: bytes
    owner_address: str
    owner_public_key: PublicKey
    records: _containers.RepeatedCompositeFieldContainer[DomainRecord]
    ttl: int
    registered_height: int
    updated_height: int
    registered_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., owner: _Optional[bytes] = ..., owner_address: _Optional[str] = ..., owner_public_key: _Optional[_Union[PublicKey, _Mapping]] = ..., records: _Optional[_Iterable[_Union[DomainRecord, _Mapping]]] = ..., ttl: _Optional[int] = ..., registered_height: _Optional[int] = ..., updated_height: _Optional[int] = ..., registered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Identity(_message.Message):
    __slots__ = ("name", "owner", "owner_address", "public_key", "metadata", "registered_height", "updated_height", "registered_at", "updated_at")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    OWNER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    REGISTERED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    name: str
    owner: bytes
    owner_address: str
    public_key: PublicKey
    metadata: _containers.ScalarMap[str, str]
    registered_height: int
    updated_height: int
    registered_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., owner: _Optional[bytes] = ..., owner_address: _Optional[str] = ..., public_key: _Optional[_Union[PublicKey, _Mapping]] = ..., metadata: _Optional[_Mapping[str, str]] = ..., registered_height: _Optional[int] = ..., updated_height: _Optional[int] = ..., registered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class DomainEvent(_message.Message):
    __slots__ = ("height", "index", "tx_hash", "type", "name", "domain", "deleted", "timestamp")
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    DELETED_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    height: int
    index: int
    tx_hash: bytes
    type: DomainEventType
    name: str
    domain: Domain
    deleted: bool
    timestamp: _timestamp_pb2.Timestamp
    def __init__(self, height: _Optional[int] = ..., index: _Optional[int] = ..., tx_hash: _Optional[bytes] = ..., type: _Optional[_Union[DomainEventType, str]] = ..., name: _Optional[str] = ..., domain: _Optional[_Union[Domain, _Mapping]] = ..., deleted: _Optional[bool] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
