import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from ghost.node.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ConsensusEventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONSENSUS_EVENT_TYPE_UNSPECIFIED: _ClassVar[ConsensusEventType]
    CONSENSUS_EVENT_TYPE_BLOCK_PROPOSED: _ClassVar[ConsensusEventType]
    CONSENSUS_EVENT_TYPE_BLOCK_COMMITTED: _ClassVar[ConsensusEventType]
    CONSENSUS_EVENT_TYPE_BLOCK_REJECTED: _ClassVar[ConsensusEventType]
    CONSENSUS_EVENT_TYPE_VALIDATOR_CHANGED: _ClassVar[ConsensusEventType]
CONSENSUS_EVENT_TYPE_UNSPECIFIED: ConsensusEventType
CONSENSUS_EVENT_TYPE_BLOCK_PROPOSED: ConsensusEventType
CONSENSUS_EVENT_TYPE_BLOCK_COMMITTED: ConsensusEventType
CONSENSUS_EVENT_TYPE_BLOCK_REJECTED: ConsensusEventType
CONSENSUS_EVENT_TYPE_VALIDATOR_CHANGED: ConsensusEventType

class GetBlockchainInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class FeeSchedule(_message.Message):
    __slots__ = ("base_fee", "fee_per_byte")
    BASE_FEE_FIELD_NUMBER: _ClassVar[int]
    FEE_PER_BYTE_FIELD_NUMBER: _ClassVar[int]
    base_fee: int
    fee_per_byte: int
    def __init__(self, base_fee: _Optional[int] = ..., fee_per_byte: _Optional[int] = ...) -> None: ...

class GetBlockchainInfoResponse(_message.Message):
    __slots__ = ("chain_id", "height", "best_block_hash", "best_block_time", "genesis_hash", "validator_key", "validator_address", "mempool_size", "fee_schedule", "block_interval", "version")
    CHAIN_ID_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    BEST_BLOCK_HASH_FIELD_NUMBER: _ClassVar[int]
    BEST_BLOCK_TIME_FIELD_NUMBER: _ClassVar[int]
    GENESIS_HASH_FIELD_NUMBER: _ClassVar[int]
    VALIDATOR_KEY_FIELD_NUMBER: _ClassVar[int]
    VALIDATOR_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    MEMPOOL_SIZE_FIELD_NUMBER: _ClassVar[int]
    FEE_SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    BLOCK_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    chain_id: str
    height: int
    best_block_hash: bytes
    best_block_time: _timestamp_pb2.Timestamp
    genesis_hash: bytes
    validator_key: _types_pb2.PublicKey
    validator_address: str
    mempool_size: int
    fee_schedule: FeeSchedule
    block_interval: _duration_pb2.Duration
    version: str
    def __init__(self, chain_id: _Optional[str] = ..., height: _Optional[int] = ..., best_block_hash: _Optional[bytes] = ..., best_block_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., genesis_hash: _Optional[bytes] = ..., validator_key: _Optional[_Union[_types_pb2.PublicKey, _Mapping]] = ..., validator_address: _Optional[str] = ..., mempool_size: _Optional[int] = ..., fee_schedule: _Optional[_Union[FeeSchedule, _Mapping]] = ..., block_interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., version: _Optional[str] = ...) -> None: ...

class GetBlockRequest(_message.Message):
    __slots__ = ("height", "hash", "header_only")
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    HEADER_ONLY_FIELD_NUMBER: _ClassVar[int]
    height: int
    hash: bytes
    header_only: bool
    def __init__(self, height: _Optional[int] = ..., hash: _Optional[bytes] = ..., header_only: _Optional[bool] = ...) -> None: ...

class GetBlockResponse(_message.Message):
    __slots__ = ("block",)
    BLOCK_FIELD_NUMBER: _ClassVar[int]
    block: _types_pb2.Block
    def __init__(self, block: _Optional[_Union[_types_pb2.Block, _Mapping]] = ...) -> None: ...

class GetBlockHashRequest(_message.Message):
    __slots__ = ("height",)
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    height: int
    def __init__(self, height: _Optional[int] = ...) -> None: ...

class GetBlockHashResponse(_message.Message):
    __slots__ = ("hash",)
    HASH_FIELD_NUMBER: _ClassVar[int]
    hash: bytes
    def __init__(self, hash: _Optional[bytes] = ...) -> None: ...

class GetBestBlockHashRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetBestBlockHashResponse(_message.Message):
    __slots__ = ("hash", "height")
    HASH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    hash: bytes
    height: int
    def __init__(self, hash: _Optional[bytes] = ..., height: _Optional[int] = ...) -> None: ...

class GetMempoolInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetMempoolInfoResponse(_message.Message):
    __slots__ = ("size", "total_bytes", "total_fee", "max_bytes", "fee_schedule")
    SIZE_FIELD_NUMBER: _ClassVar[int]
    TOTAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FEE_FIELD_NUMBER: _ClassVar[int]
    MAX_BYTES_FIELD_NUMBER: _ClassVar[int]
    FEE_SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    size: int
    total_bytes: int
    total_fee: int
    max_bytes: int
    fee_schedule: FeeSchedule
    def __init__(self, size: _Optional[int] = ..., total_bytes: _Optional[int] = ..., total_fee: _Optional[int] = ..., max_bytes: _Optional[int] = ..., fee_schedule: _Optional[_Union[FeeSchedule, _Mapping]] = ...) -> None: ...

class GetRawMempoolRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class GetRawMempoolResponse(_message.Message):
    __slots__ = ("tx_hashes", "next_page_token")
    TX_HASHES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    tx_hashes: _containers.RepeatedScalarFieldContainer[bytes]
    next_page_token: str
    def __init__(self, tx_hashes: _Optional[_Iterable[bytes]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetMempoolEntryRequest(_message.Message):
    __slots__ = ("tx_hash",)
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    tx_hash: bytes
    def __init__(self, tx_hash: _Optional[bytes] = ...) -> None: ...

class MempoolEntry(_message.Message):
    __slots__ = ("tx_hash", "fee", "size", "time_added", "sender_address", "nonce", "transaction")
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    FEE_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    TIME_ADDED_FIELD_NUMBER: _ClassVar[int]
    SENDER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    NONCE_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    tx_hash: bytes
    fee: int
    size: int
    time_added: _timestamp_pb2.Timestamp
    sender_address: str
    nonce: int
    transaction: _types_pb2.SignedTransaction
    def __init__(self, tx_hash: _Optional[bytes] = ..., fee: _Optional[int] = ..., size: _Optional[int] = ..., time_added: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sender_address: _Optional[str] = ..., nonce: _Optional[int] = ..., transaction: _Optional[_Union[_types_pb2.SignedTransaction, _Mapping]] = ...) -> None: ...

class GetMempoolEntryResponse(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: MempoolEntry
    def __init__(self, entry: _Optional[_Union[MempoolEntry, _Mapping]] = ...) -> None: ...

class GetPeerInfoRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class PeerInfo(_message.Message):
    __slots__ = ("peer_id", "endpoint", "inbound", "connected_since", "last_seen", "best_height", "rtt", "version", "bytes_sent", "bytes_received", "permanent")
    PEER_ID_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    INBOUND_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_SINCE_FIELD_NUMBER: _ClassVar[int]
    LAST_SEEN_FIELD_NUMBER: _ClassVar[int]
    BEST_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    RTT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    BYTES_SENT_FIELD_NUMBER: _ClassVar[int]
    BYTES_RECEIVED_FIELD_NUMBER: _ClassVar[int]
    PERMANENT_FIELD_NUMBER: _ClassVar[int]
    peer_id: str
    endpoint: str
    inbound: bool
    connected_since: _timestamp_pb2.Timestamp
    last_seen: _timestamp_pb2.Timestamp
    best_height: int
    rtt: _duration_pb2.Duration
    version: str
    bytes_sent: int
    bytes_received: int
    permanent: bool
    def __init__(self, peer_id: _Optional[str] = ..., endpoint: _Optional[str] = ..., inbound: _Optional[bool] = ..., connected_since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_seen: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., best_height: _Optional[int] = ..., rtt: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., version: _Optional[str] = ..., bytes_sent: _Optional[int] = ..., bytes_received: _Optional[int] = ..., permanent: _Optional[bool] = ...) -> None: ...

class GetPeerInfoResponse(_message.Message):
    __slots__ = ("peers", "next_page_token")
    PEERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    peers: _containers.RepeatedCompositeFieldContainer[PeerInfo]
    next_page_token: str
    def __init__(self, peers: _Optional[_Iterable[_Union[PeerInfo, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class AddPeerRequest(_message.Message):
    __slots__ = ("endpoint", "permanent")
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    PERMANENT_FIELD_NUMBER: _ClassVar[int]
    endpoint: str
    permanent: bool
    def __init__(self, endpoint: _Optional[str] = ..., permanent: _Optional[bool] = ...) -> None: ...

class AddPeerResponse(_message.Message):
    __slots__ = ("peer_id", "added")
    PEER_ID_FIELD_NUMBER: _ClassVar[int]
    ADDED_FIELD_NUMBER: _ClassVar[int]
    peer_id: str
    added: bool
    def __init__(self, peer_id: _Optional[str] = ..., added: _Optional[bool] = ...) -> None: ...

class BanPeerRequest(_message.Message):
    __slots__ = ("peer_id", "endpoint", "duration", "reason")
    PEER_ID_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    peer_id: str
    endpoint: str
    duration: _duration_pb2.Duration
    reason: str
    def __init__(self, peer_id: _Optional[str] = ..., endpoint: _Optional[str] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class BanPeerResponse(_message.Message):
    __slots__ = ("banned_until",)
    BANNED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    banned_until: _timestamp_pb2.Timestamp
    def __init__(self, banned_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetConsensusInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Validator(_message.Message):
    __slots__ = ("public_key", "address", "blocks_proposed")
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    BLOCKS_PROPOSED_FIELD_NUMBER: _ClassVar[int]
    public_key: _types_pb2.PublicKey
    address: str
    blocks_proposed: int
    def __init__(self, public_key: _Optional[_Union[_types_pb2.PublicKey, _Mapping]] = ..., address: _Optional[str] = ..., blocks_proposed: _Optional[int] = ...) -> None: ...

class GetConsensusInfoResponse(_message.Message):
    __slots__ = ("algorithm", "validators", "next_proposer_key", "height", "finalized_height", "last_block_time", "block_interval", "is_validator")
    ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    VALIDATORS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PROPOSER_KEY_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    FINALIZED_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    LAST_BLOCK_TIME_FIELD_NUMBER: _ClassVar[int]
    BLOCK_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    IS_VALIDATOR_FIELD_NUMBER: _ClassVar[int]
    algorithm: str
    validators: _containers.RepeatedCompositeFieldContainer[Validator]
    next_proposer_key: _types_pb2.PublicKey
    height: int
    finalized_height: int
    last_block_time: _timestamp_pb2.Timestamp
    block_interval: _duration_pb2.Duration
    is_validator: bool
    def __init__(self, algorithm: _Optional[str] = ..., validators: _Optional[_Iterable[_Union[Validator, _Mapping]]] = ..., next_proposer_key: _Optional[_Union[_types_pb2.PublicKey, _Mapping]] = ..., height: _Optional[int] = ..., finalized_height: _Optional[int] = ..., last_block_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., block_interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., is_validator: _Optional[bool] = ...) -> None: ...

class ProposeBlockRequest(_message.Message):
    __slots__ = ("allow_empty", "max_transactions")
    ALLOW_EMPTY_FIELD_NUMBER: _ClassVar[int]
    MAX_TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    allow_empty: bool
    max_transactions: int
    def __init__(self, allow_empty: _Optional[bool] = ..., max_transactions: _Optional[int] = ...) -> None: ...

class ProposeBlockResponse(_message.Message):
    __slots__ = ("block",)
    BLOCK_FIELD_NUMBER: _ClassVar[int]
    block: _types_pb2.Block
    def __init__(self, block: _Optional[_Union[_types_pb2.Block, _Mapping]] = ...) -> None: ...

class ValidateBlockRequest(_message.Message):
    __slots__ = ("block",)
    BLOCK_FIELD_NUMBER: _ClassVar[int]
    block: _types_pb2.Block
    def __init__(self, block: _Optional[_Union[_types_pb2.Block, _Mapping]] = ...) -> None: ...

class ValidateBlockResponse(_message.Message):
    __slots__ = ("valid", "error", "hash")
    VALID_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    valid: bool
    error: str
    hash: bytes
    def __init__(self, valid: _Optional[bool] = ..., error: _Optional[str] = ..., hash: _Optional[bytes] = ...) -> None: ...

class SubmitTransactionRequest(_message.Message):
    __slots__ = ("transaction",)
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    transaction: _types_pb2.SignedTransaction
    def __init__(self, transaction: _Optional[_Union[_types_pb2.SignedTransaction, _Mapping]] = ...) -> None: ...

class SubmitTransactionResponse(_message.Message):
    __slots__ = ("tx_hash", "status")
    TX_HASH_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    tx_hash: bytes
    status: _types_pb2.TransactionStatus
    def __init__(self, tx_hash: _Optional[bytes] = ..., status: _Optional[_Union[_types_pb2.TransactionStatus, str]] = ...) -> None: ...

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

class GetTransactionsByAddressRequest(_message.Message):
    __slots__ = ("address", "page_size", "page_token", "include_pending")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_PENDING_FIELD_NUMBER: _ClassVar[int]
    address: str
    page_size: int
    page_token: str
    include_pending: bool
    def __init__(self, address: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., include_pending: _Optional[bool] = ...) -> None: ...

class GetTransactionsByAddressResponse(_message.Message):
    __slots__ = ("transactions", "next_page_token")
    TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    transactions: _containers.RepeatedCompositeFieldContainer[_types_pb2.TransactionInfo]
    next_page_token: str
    def __init__(self, transactions: _Optional[_Iterable[_Union[_types_pb2.TransactionInfo, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetAccountRequest(_message.Message):
    __slots__ = ("address",)
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    address: str
    def __init__(self, address: _Optional[str] = ...) -> None: ...

class GetAccountResponse(_message.Message):
    __slots__ = ("account", "height")
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    account: _types_pb2.Account
    height: int
    def __init__(self, account: _Optional[_Union[_types_pb2.Account, _Mapping]] = ..., height: _Optional[int] = ...) -> None: ...

class GetDomainRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetDomainResponse(_message.Message):
    __slots__ = ("domain", "height")
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    domain: _types_pb2.Domain
    height: int
    def __init__(self, domain: _Optional[_Union[_types_pb2.Domain, _Mapping]] = ..., height: _Optional[int] = ...) -> None: ...

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

class ListDomainsRequest(_message.Message):
    __slots__ = ("owner_address", "page_size", "page_token")
    OWNER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    owner_address: str
    page_size: int
    page_token: str
    def __init__(self, owner_address: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDomainsResponse(_message.Message):
    __slots__ = ("domains", "next_page_token")
    DOMAINS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    domains: _containers.RepeatedCompositeFieldContainer[_types_pb2.Domain]
    next_page_token: str
    def __init__(self, domains: _Optional[_Iterable[_Union[_types_pb2.Domain, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetIdentityRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetIdentityResponse(_message.Message):
    __slots__ = ("identity",)
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    identity: _types_pb2.Identity
    def __init__(self, identity: _Optional[_Union[_types_pb2.Identity, _Mapping]] = ...) -> None: ...

class StreamBlocksRequest(_message.Message):
    __slots__ = ("from_height", "header_only")
    FROM_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    HEADER_ONLY_FIELD_NUMBER: _ClassVar[int]
    from_height: int
    header_only: bool
    def __init__(self, from_height: _Optional[int] = ..., header_only: _Optional[bool] = ...) -> None: ...

class BlockEvent(_message.Message):
    __slots__ = ("height", "block")
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    BLOCK_FIELD_NUMBER: _ClassVar[int]
    height: int
    block: _types_pb2.Block
    def __init__(self, height: _Optional[int] = ..., block: _Optional[_Union[_types_pb2.Block, _Mapping]] = ...) -> None: ...

class StreamTransactionsRequest(_message.Message):
    __slots__ = ("from_height", "addresses", "include_pending")
    FROM_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_PENDING_FIELD_NUMBER: _ClassVar[int]
    from_height: int
    addresses: _containers.RepeatedScalarFieldContainer[str]
    include_pending: bool
    def __init__(self, from_height: _Optional[int] = ..., addresses: _Optional[_Iterable[str]] = ..., include_pending: _Optional[bool] = ...) -> None: ...

class TransactionEvent(_message.Message):
    __slots__ = ("height", "index", "transaction")
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    TRANSACTION_FIELD_NUMBER: _ClassVar[int]
    height: int
    index: int
    transaction: _types_pb2.TransactionInfo
    def __init__(self, height: _Optional[int] = ..., index: _Optional[int] = ..., transaction: _Optional[_Union[_types_pb2.TransactionInfo, _Mapping]] = ...) -> None: ...

class StreamConsensusRequest(_message.Message):
    __slots__ = ("from_height",)
    FROM_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    from_height: int
    def __init__(self, from_height: _Optional[int] = ...) -> None: ...

class ConsensusEvent(_message.Message):
    __slots__ = ("height", "type", "block_hash", "proposer_key", "proposer_address", "timestamp", "detail")
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    BLOCK_HASH_FIELD_NUMBER: _ClassVar[int]
    PROPOSER_KEY_FIELD_NUMBER: _ClassVar[int]
    PROPOSER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    height: int
    type: ConsensusEventType
    block_hash: bytes
    proposer_key: _types_pb2.PublicKey
    proposer_address: str
    timestamp: _timestamp_pb2.Timestamp
    detail: str
    def __init__(self, height: _Optional[int] = ..., type: _Optional[_Union[ConsensusEventType, str]] = ..., block_hash: _Optional[bytes] = ..., proposer_key: _Optional[_Union[_types_pb2.PublicKey, _Mapping]] = ..., proposer_address: _Optional[str] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., detail: _Optional[str] = ...) -> None: ...

class StreamDomainEventsRequest(_message.Message):
    __slots__ = ("from_height", "names")
    FROM_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    NAMES_FIELD_NUMBER: _ClassVar[int]
    from_height: int
    names: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, from_height: _Optional[int] = ..., names: _Optional[_Iterable[str]] = ...) -> None: ...
