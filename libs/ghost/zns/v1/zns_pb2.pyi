import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from ghost.node.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ResolveDomainRequest(_message.Message):
    __slots__ = ("name", "types")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPES_FIELD_NUMBER: _ClassVar[int]
    name: str
    types: _containers.RepeatedScalarFieldContainer[_types_pb2.RecordType]
    def __init__(self, name: _Optional[str] = ..., types: _Optional[_Iterable[_Union[_types_pb2.RecordType, str]]] = ...) -> None: ...

class ResolveDomainResponse(_message.Message):
    __slots__ = ("domain", "host", "records", "height")
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    domain: _types_pb2.Domain
    host: str
    records: _containers.RepeatedCompositeFieldContainer[_types_pb2.DomainRecord]
    height: int
    def __init__(self, domain: _Optional[_Union[_types_pb2.Domain, _Mapping]] = ..., host: _Optional[str] = ..., records: _Optional[_Iterable[_Union[_types_pb2.DomainRecord, _Mapping]]] = ..., height: _Optional[int] = ...) -> None: ...

class RegisterDomainRequest(_message.Message):
    __slots__ = ("transaction", "wait_for_inclusion")
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    WAIT_FOR_INCLUSION_FIELD_NUMBER: _ClassVar[int]
    transaction: _types_pb2.SignedTransaction
    wait_for_inclusion: bool
    def __init__(self, transaction: _Optional[_Union[_types_pb2.SignedTransaction, _Mapping]] = ..., wait_for_inclusion: _Optional[bool] = ...) -> None: ...

class RegisterDomainResponse(_message.Message):
    __slots__ = ("tx_hash", "status", "receipt", "domain")
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    tx_hash: bytes
    status: _types_pb2.TransactionStatus
    receipt: _types_pb2.TransactionReceipt
    domain: _types_pb2.Domain
    def __init__(self, tx_hash: _Optional[bytes] = ..., status: _Optional[_Union[_types_pb2.TransactionStatus, str]] = ..., receipt: _Optional[_Union[_types_pb2.TransactionReceipt, _Mapping]] = ..., domain: _Optional[_Union[_types_pb2.Domain, _Mapping]] = ...) -> None: ...

class UpdateDomainRequest(_message.Message):
    __slots__ = ("transaction", "wait_for_inclusion")
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    WAIT_FOR_INCLUSION_FIELD_NUMBER: _ClassVar[int]
    transaction: _types_pb2.SignedTransaction
    wait_for_inclusion: bool
    def __init__(self, transaction: _Optional[_Union[_types_pb2.SignedTransaction, _Mapping]] = ..., wait_for_inclusion: _Optional[bool] = ...) -> None: ...

class UpdateDomainResponse(_message.Message):
    __slots__ = ("tx_hash", "status", "receipt", "domain")
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    tx_hash: bytes
    status: _types_pb2.TransactionStatus
    receipt: _types_pb2.TransactionReceipt
    domain: _types_pb2.Domain
    def __init__(self, tx_hash: _Optional[bytes] = ..., status: _Optional[_Union[_types_pb2.TransactionStatus, str]] = ..., receipt: _Optional[_Union[_types_pb2.TransactionReceipt, _Mapping]] = ..., domain: _Optional[_Union[_types_pb2.Domain, _Mapping]] = ...) -> None: ...

class DeleteDomainRequest(_message.Message):
    __slots__ = ("transaction", "wait_for_inclusion")
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    WAIT_FOR_INCLUSION_FIELD_NUMBER: _ClassVar[int]
    transaction: _types_pb2.SignedTransaction
    wait_for_inclusion: bool
    def __init__(self, transaction: _Optional[_Union[_types_pb2.SignedTransaction, _Mapping]] = ..., wait_for_inclusion: _Optional[bool] = ...) -> None: ...

class DeleteDomainResponse(_message.Message):
    __slots__ = ("tx_hash", "status", "receipt")
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    tx_hash: bytes
    status: _types_pb2.TransactionStatus
    receipt: _types_pb2.TransactionReceipt
    def __init__(self, tx_hash: _Optional[bytes] = ..., status: _Optional[_Union[_types_pb2.TransactionStatus, str]] = ..., receipt: _Optional[_Union[_types_pb2.TransactionReceipt, _Mapping]] = ...) -> None: ...

class ListDomainsRequest(_message.Message):
    __slots__ = ("owner_address", "suffix", "page_size", "page_token")
    OWNER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    SUFFIX_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    owner_address: str
    suffix: str
    page_size: int
    page_token: str
    def __init__(self, owner_address: _Optional[str] = ..., suffix: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDomainsResponse(_message.Message):
    __slots__ = ("domains", "next_page_token")
    DOMAINS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    domains: _containers.RepeatedCompositeFieldContainer[_types_pb2.Domain]
    next_page_token: str
    def __init__(self, domains: _Optional[_Iterable[_Union[_types_pb2.Domain, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetRecordRequest(_message.Message):
    __slots__ = ("name", "type", "host")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: _types_pb2.RecordType
    host: str
    def __init__(self, name: _Optional[str] = ..., type: _Optional[_Union[_types_pb2.RecordType, str]] = ..., host: _Optional[str] = ...) -> None: ...

class GetRecordResponse(_message.Message):
    __slots__ = ("records", "height")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[_types_pb2.DomainRecord]
    height: int
    def __init__(self, records: _Optional[_Iterable[_Union[_types_pb2.DomainRecord, _Mapping]]] = ..., height: _Optional[int] = ...) -> None: ...

class SetRecordRequest(_message.Message):
    __slots__ = ("transaction", "wait_for_inclusion")
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    WAIT_FOR_INCLUSION_FIELD_NUMBER: _ClassVar[int]
    transaction: _types_pb2.SignedTransaction
    wait_for_inclusion: bool
    def __init__(self, transaction: _Optional[_Union[_types_pb2.SignedTransaction, _Mapping]] = ..., wait_for_inclusion: _Optional[bool] = ...) -> None: ...

class SetRecordResponse(_message.Message):
    __slots__ = ("tx_hash", "status", "receipt", "domain")
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    tx_hash: bytes
    status: _types_pb2.TransactionStatus
    receipt: _types_pb2.TransactionReceipt
    domain: _types_pb2.Domain
    def __init__(self, tx_hash: _Optional[bytes] = ..., status: _Optional[_Union[_types_pb2.TransactionStatus, str]] = ..., receipt: _Optional[_Union[_types_pb2.TransactionReceipt, _Mapping]] = ..., domain: _Optional[_Union[_types_pb2.Domain, _Mapping]] = ...) -> None: ...

class DeleteRecordRequest(_message.Message):
    __slots__ = ("transaction", "wait_for_inclusion")
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    WAIT_FOR_INCLUSION_FIELD_NUMBER: _ClassVar[int]
    transaction: _types_pb2.SignedTransaction
    wait_for_inclusion: bool
    def __init__(self, transaction: _Optional[_Union[_types_pb2.SignedTransaction, _Mapping]] = ..., wait_for_inclusion: _Optional[bool] = ...) -> None: ...

class DeleteRecordResponse(_message.Message):
    __slots__ = ("tx_hash", "status", "receipt", "domain")
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RECEIPT_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    tx_hash: bytes
    status: _types_pb2.TransactionStatus
    receipt: _types_pb2.TransactionReceipt
    domain: _types_pb2.Domain
    def __init__(self, tx_hash: _Optional[bytes] = ..., status: _Optional[_Union[_types_pb2.TransactionStatus, str]] = ..., receipt: _Optional[_Union[_types_pb2.TransactionReceipt, _Mapping]] = ..., domain: _Optional[_Union[_types_pb2.Domain, _Mapping]] = ...) -> None: ...

class ListRecordsRequest(_message.Message):
    __slots__ = ("name", "type", "page_size", "page_token")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    name: str
    type: _types_pb2.RecordType
    page_size: int
    page_token: str
    def __init__(self, name: _Optional[str] = ..., type: _Optional[_Union[_types_pb2.RecordType, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListRecordsResponse(_message.Message):
    __slots__ = ("records", "next_page_token")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[_types_pb2.DomainRecord]
    next_page_token: str
    def __init__(self, records: _Optional[_Iterable[_Union[_types_pb2.DomainRecord, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetDomainIdentityRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetDomainIdentityResponse(_message.Message):
    __slots__ = ("name", "owner", "owner_address", "public_key", "height")
    NAME_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    OWNER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    name: str
    owner: bytes
    owner_address: str
    public_key: _types_pb2.PublicKey
    height: int
    def __init__(self, name: _Optional[str] = ..., owner: _Optional[bytes] = ..., owner_address: _Optional[str] = ..., public_key: _Optional[_Union[_types_pb2.PublicKey, _Mapping]] = ..., height: _Optional[int] = ...) -> None: ...

class VerifyDomainOwnershipRequest(_message.Message):
    __slots__ = ("name", "address", "public_key", "challenge", "signature")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    CHALLENGE_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    name: str
    address: str
    public_key: _types_pb2.PublicKey
    challenge: bytes
    signature: bytes
    def __init__(self, name: _Optional[str] = ..., address: _Optional[str] = ..., public_key: _Optional[_Union[_types_pb2.PublicKey, _Mapping]] = ..., challenge: _Optional[bytes] = ..., signature: _Optional[bytes] = ...) -> None: ...

class VerifyDomainOwnershipResponse(_message.Message):
    __slots__ = ("is_owner", "signature_valid", "verified", "owner_address", "height")
    IS_OWNER_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_VALID_FIELD_NUMBER: _ClassVar[int]
    VERIFIED_FIELD_NUMBER: _ClassVar[int]
    OWNER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    is_owner: bool
    signature_valid: bool
    verified: bool
    owner_address: str
    height: int
    def __init__(self, is_owner: _Optional[bool] = ..., signature_valid: _Optional[bool] = ..., verified: _Optional[bool] = ..., owner_address: _Optional[str] = ..., height: _Optional[int] = ...) -> None: ...

class StreamDomainUpdatesRequest(_message.Message):
    __slots__ = ("from_height", "suffixes")
    FROM_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    SUFFIXES_FIELD_NUMBER: _ClassVar[int]
    from_height: int
    suffixes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, from_height: _Optional[int] = ..., suffixes: _Optional[_Iterable[str]] = ...) -> None: ...

class SubscribeDomainChangesRequest(_message.Message):
    __slots__ = ("names", "from_height")
    NAMES_FIELD_NUMBER: _ClassVar[int]
    FROM_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    names: _containers.RepeatedScalarFieldContainer[str]
    from_height: int
    def __init__(self, names: _Optional[_Iterable[str]] = ..., from_height: _Optional[int] = ...) -> None: ...

class DomainChangeEvent(_message.Message):
    __slots__ = ("name", "height", "index", "snapshot", "type", "tx_hash", "previous", "current", "timestamp")
    NAME_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_FIELD_NUMBER: _ClassVar[int]
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    name: str
    height: int
    index: int
    snapshot: bool
    type: _types_pb2.DomainEventType
    tx_hash: bytes
    previous: _types_pb2.Domain
    current: _types_pb2.Domain
    timestamp: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., height: _Optional[int] = ..., index: _Optional[int] = ..., snapshot: _Optional[bool] = ..., type: _Optional[_Union[_types_pb2.DomainEventType, str]] = ..., tx_hash: _Optional[bytes] = ..., previous: _Optional[_Union[_types_pb2.Domain, _Mapping]] = ..., current: _Optional[_Union[_types_pb2.Domain, _Mapping]] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
