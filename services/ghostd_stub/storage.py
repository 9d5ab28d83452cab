"""SQLite persistence for ghostd_stub: blocks, transactions, state, mempool, events, peers.

Durability: WAL journal with `synchronous=FULL` by default. A write that returned has been
fsynced into the WAL, so an acknowledged transaction (mempool row) and every committed block
survive SIGKILL and also an OS crash or power loss. `NORMAL` would already survive SIGKILL
(the WAL is in the OS page cache) at the cost of the last commits on power loss; FULL costs
one fsync per commit, which a dev node can afford. Each block (with its transactions, state
changes, events and mempool removals) is one SQLite transaction, so a crash never leaves a
half-applied block.

Threading: one connection (`check_same_thread=False`) that the caller serialises (ghostd_stub
holds a trio.Lock and runs each operation in `trio.to_thread.run_sync`, so an fsync never
blocks the event loop). Nothing here is async.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import attrs
from ghost.node.v1 import types_pb2 as pb
from ghostchain.state import Overlay

__all__ = ["StorageError", "Storage", "SqliteState", "StoredTx", "Tip"]

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (
    height INTEGER PRIMARY KEY,
    hash BLOB NOT NULL UNIQUE,
    header_bytes BLOB NOT NULL,
    signature BLOB NOT NULL,
    timestamp_ns INTEGER NOT NULL,
    tx_count INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS txs (
    tx_hash BLOB PRIMARY KEY,
    height INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    stx BLOB NOT NULL,
    status INTEGER NOT NULL,
    fee INTEGER NOT NULL,
    error TEXT NOT NULL,
    sender BLOB NOT NULL,
    recipient BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS txs_position ON txs (height, idx);
CREATE INDEX IF NOT EXISTS txs_sender ON txs (sender, height, idx);
CREATE INDEX IF NOT EXISTS txs_recipient ON txs (recipient, height, idx);
CREATE TABLE IF NOT EXISTS mempool (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tx_hash BLOB NOT NULL UNIQUE,
    stx BLOB NOT NULL,
    time_added_ns INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS accounts (address BLOB PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS domains (name TEXT PRIMARY KEY, owner BLOB NOT NULL, data BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS domains_owner ON domains (owner, name);
CREATE TABLE IF NOT EXISTS identities (name TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS domain_events (
    height INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    name TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (height, idx, seq)
);
CREATE TABLE IF NOT EXISTS peers (
    endpoint TEXT PRIMARY KEY,
    permanent INTEGER NOT NULL,
    banned_until_ns INTEGER NOT NULL,
    reason TEXT NOT NULL
);
"""


# SQLite integers are signed 64-bit. Request values (uint64 heights, offsets) beyond this
# cannot match a row; reads answer "nothing" for them instead of raising OverflowError.
SQLITE_INT_MAX = 2**63 - 1


def _fits(value: int) -> bool:
    return 0 <= value <= SQLITE_INT_MAX


class StorageError(Exception):
    """The database cannot be used (wrong chain, newer schema, corrupt)."""


@attrs.frozen
class Tip:
    height: int
    hash: bytes
    timestamp_ns: int


@attrs.frozen
class StoredTx:
    """An included transaction with its position and receipt fields."""

    stx: pb.SignedTransaction
    height: int
    index: int
    status: int
    fee: int
    error: str
    block_hash: bytes
    block_timestamp_ns: int


@attrs.frozen
class PeerRow:
    endpoint: str
    permanent: bool
    banned_until_ns: int
    reason: str


class SqliteState:
    """ghostchain StateView over the storage connection (writes join the open transaction)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def _one(self, sql: str, arg: object) -> bytes | None:
        row = self._conn.execute(sql, (arg,)).fetchone()
        return None if row is None else row[0]

    def get_account(self, address: bytes) -> pb.Account | None:
        data = self._one("SELECT data FROM accounts WHERE address = ?", address)
        return None if data is None else pb.Account.FromString(data)

    def get_domain(self, name: str) -> pb.Domain | None:
        data = self._one("SELECT data FROM domains WHERE name = ?", name)
        return None if data is None else pb.Domain.FromString(data)

    def get_identity(self, name: str) -> pb.Identity | None:
        data = self._one("SELECT data FROM identities WHERE name = ?", name)
        return None if data is None else pb.Identity.FromString(data)

    def put_account(self, account: pb.Account) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO accounts (address, data) VALUES (?, ?)",
            (account.address_bytes, account.SerializeToString(deterministic=True)),
        )

    def put_domain(self, domain: pb.Domain) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO domains (name, owner, data) VALUES (?, ?, ?)",
            (domain.name, domain.owner, domain.SerializeToString(deterministic=True)),
        )

    def delete_domain(self, name: str) -> None:
        self._conn.execute("DELETE FROM domains WHERE name = ?", (name,))

    def put_identity(self, identity: pb.Identity) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO identities (name, data) VALUES (?, ?)",
            (identity.name, identity.SerializeToString(deterministic=True)),
        )


@attrs.frozen
class BlockRecord:
    """What commit_block writes for one included transaction."""

    stx: pb.SignedTransaction
    sender: bytes
    recipient: bytes
    status: int
    fee: int
    error: str


class Storage:
    """The node database. Not thread-safe: serialise calls (see module docstring)."""

    def __init__(self, path: str | Path, synchronous: Literal["FULL", "NORMAL"] = "FULL") -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = sqlite3.connect(
                str(self.path), isolation_level=None, check_same_thread=False, timeout=30
            )
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(f"PRAGMA synchronous={synchronous}")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"cannot open database {self.path}: {exc}") from None
        try:
            version = self.get_meta("schema_version")
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"cannot read database {self.path}: {exc}") from None
        if version is None:
            self.set_meta("schema_version", str(SCHEMA_VERSION).encode())
        elif not version.isdigit():
            raise StorageError(f"database {self.path} is corrupt (schema_version {version!r})")
        elif int(version) > SCHEMA_VERSION:
            raise StorageError(f"database {self.path} has a newer schema ({int(version)})")
        self.state = SqliteState(self._conn)
        self._tip: Tip | None = None

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error)."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            self._tip = None
            if not self.is_empty():
                self.tip()  # re-read now, on this thread, so readers never hit the database
            raise
        self._conn.execute("COMMIT")

    # ---- meta

    def get_meta(self, key: str) -> bytes | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def set_meta(self, key: str, value: bytes) -> None:
        self._conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # ---- blocks

    def is_empty(self) -> bool:
        return self._conn.execute("SELECT 1 FROM blocks LIMIT 1").fetchone() is None

    def tip(self) -> Tip:
        if self._tip is None:
            row = self._conn.execute(
                "SELECT height, hash, timestamp_ns FROM blocks ORDER BY height DESC LIMIT 1"
            ).fetchone()
            if row is None:
                raise StorageError("database has no genesis block")
            self._tip = Tip(row[0], bytes(row[1]), row[2])
        return self._tip

    def hash_at(self, height: int) -> bytes | None:
        if not _fits(height):
            return None
        row = self._conn.execute("SELECT hash FROM blocks WHERE height = ?", (height,)).fetchone()
        return None if row is None else bytes(row[0])

    def height_of(self, block_hash: bytes) -> int | None:
        row = self._conn.execute(
            "SELECT height FROM blocks WHERE hash = ?", (block_hash,)
        ).fetchone()
        return None if row is None else row[0]

    def _block_from_row(self, row: sqlite3.Row | tuple, with_txs: bool) -> pb.Block:
        height, block_hash, header_bytes, signature = row[0], row[1], row[2], row[3]
        block = pb.Block(
            header_bytes=header_bytes,
            signature=signature,
            hash=block_hash,
            header=pb.BlockHeader.FromString(header_bytes),
        )
        if with_txs:
            for (data,) in self._conn.execute(
                "SELECT stx FROM txs WHERE height = ? ORDER BY idx", (height,)
            ):
                block.transactions.add().ParseFromString(data)
        return block

    def block_at(self, height: int, with_txs: bool = True) -> pb.Block | None:
        if not _fits(height):
            return None
        row = self._conn.execute(
            "SELECT height, hash, header_bytes, signature FROM blocks WHERE height = ?", (height,)
        ).fetchone()
        return None if row is None else self._block_from_row(row, with_txs)

    def blocks_from(self, start: int, limit: int, with_txs: bool = True) -> list[pb.Block]:
        if not _fits(start) or limit <= 0:
            return []
        limit = min(limit, SQLITE_INT_MAX)
        rows = self._conn.execute(
            "SELECT height, hash, header_bytes, signature FROM blocks"
            " WHERE height >= ? ORDER BY height LIMIT ?",
            (start, limit),
        ).fetchall()
        return [self._block_from_row(r, with_txs) for r in rows]

    def commit_block(
        self,
        block: pb.Block,
        records: Sequence[BlockRecord],
        overlay: Overlay | None,
        domain_events: Sequence[pb.DomainEvent],
        genesis: bool = False,
    ) -> None:
        """Write a block, its transactions, the state changes buffered in `overlay` (whose
        base must be `self.state`), its domain events, and drop included mempool entries."""
        header = (
            block.header
            if block.HasField("header")
            else pb.BlockHeader.FromString(block.header_bytes)
        )
        ts = header.timestamp.seconds * 1_000_000_000 + header.timestamp.nanos
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO blocks (height, hash, header_bytes, signature, timestamp_ns, tx_count)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (header.height, block.hash, block.header_bytes, block.signature, ts, len(records)),
            )
            for idx, rec in enumerate(records):
                conn.execute(
                    "INSERT INTO txs (tx_hash, height, idx, stx, status, fee, error, sender,"
                    " recipient) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        rec.stx.tx_hash,
                        header.height,
                        idx,
                        rec.stx.SerializeToString(),
                        rec.status,
                        rec.fee,
                        rec.error,
                        rec.sender,
                        rec.recipient,
                    ),
                )
                conn.execute("DELETE FROM mempool WHERE tx_hash = ?", (rec.stx.tx_hash,))
            seq_by_index: dict[int, int] = {}
            for event in domain_events:
                seq = seq_by_index.get(event.index, 0)
                seq_by_index[event.index] = seq + 1
                conn.execute(
                    "INSERT INTO domain_events (height, idx, seq, name, data) VALUES (?,?,?,?,?)",
                    (event.height, event.index, seq, event.name, event.SerializeToString()),
                )
            if overlay is not None:
                overlay.commit()
            if genesis:
                self.set_meta("genesis_hash", block.hash)
                self.set_meta("chain_id", header.chain_id.encode())
        self._tip = Tip(header.height, bytes(block.hash), ts)

    # ---- transactions

    def _stored(self, row: tuple) -> StoredTx:
        stx = pb.SignedTransaction.FromString(row[0])
        return StoredTx(stx, row[1], row[2], row[3], row[4], row[5], bytes(row[6]), row[7])

    _TX_SELECT = (
        "SELECT t.stx, t.height, t.idx, t.status, t.fee, t.error, b.hash, b.timestamp_ns"
        " FROM txs t JOIN blocks b ON b.height = t.height"
    )

    def get_tx(self, tx_hash: bytes) -> StoredTx | None:
        row = self._conn.execute(self._TX_SELECT + " WHERE t.tx_hash = ?", (tx_hash,)).fetchone()
        return None if row is None else self._stored(row)

    def has_tx(self, tx_hash: bytes) -> int | None:
        row = self._conn.execute("SELECT height FROM txs WHERE tx_hash = ?", (tx_hash,)).fetchone()
        return None if row is None else row[0]

    def txs_in_block(self, height: int) -> list[StoredTx]:
        if not _fits(height):
            return []
        rows = self._conn.execute(
            self._TX_SELECT + " WHERE t.height = ? ORDER BY t.idx", (height,)
        ).fetchall()
        return [self._stored(r) for r in rows]

    def txs_by_address(self, address: bytes, offset: int, limit: int) -> list[StoredTx]:
        """Newest first: sent or received by `address`."""
        if not _fits(offset) or limit <= 0:
            return []
        limit = min(limit, SQLITE_INT_MAX)
        rows = self._conn.execute(
            self._TX_SELECT + " WHERE t.sender = ? OR t.recipient = ?"
            " ORDER BY t.height DESC, t.idx DESC LIMIT ? OFFSET ?",
            (address, address, limit, offset),
        ).fetchall()
        return [self._stored(r) for r in rows]

    # ---- domains and events

    def list_domains(self, owner: bytes | None, after: str, limit: int) -> list[pb.Domain]:
        limit = min(limit, SQLITE_INT_MAX)
        if owner is None:
            rows = self._conn.execute(
                "SELECT data FROM domains WHERE name > ? ORDER BY name LIMIT ?", (after, limit)
            ).fetchall()
        else:
            rows = self._conn.execute(
                "SELECT data FROM domains WHERE owner = ? AND name > ? ORDER BY name LIMIT ?",
                (owner, after, limit),
            ).fetchall()
        return [pb.Domain.FromString(r[0]) for r in rows]

    def domain_events(self, start: int, end: int) -> list[pb.DomainEvent]:
        """Events at heights start..end inclusive, in (height, index) order."""
        if not _fits(start) or end < start:
            return []
        end = min(end, SQLITE_INT_MAX)
        rows = self._conn.execute(
            "SELECT data FROM domain_events WHERE height >= ? AND height <= ?"
            " ORDER BY height, idx, seq",
            (start, end),
        ).fetchall()
        return [pb.DomainEvent.FromString(r[0]) for r in rows]

    # ---- mempool

    def mempool_add(self, stx: pb.SignedTransaction, time_added_ns: int) -> None:
        """Persist an accepted transaction; durable when this returns."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO mempool (tx_hash, stx, time_added_ns) VALUES (?, ?, ?)",
                (stx.tx_hash, stx.SerializeToString(), time_added_ns),
            )

    def mempool_remove(self, tx_hashes: Sequence[bytes]) -> None:
        with self.transaction() as conn:
            conn.executemany("DELETE FROM mempool WHERE tx_hash = ?", [(h,) for h in tx_hashes])

    def mempool_load(self) -> list[tuple[pb.SignedTransaction, int]]:
        rows = self._conn.execute("SELECT stx, time_added_ns FROM mempool ORDER BY seq").fetchall()
        return [(pb.SignedTransaction.FromString(r[0]), r[1]) for r in rows]

    # ---- peers

    def peers_load(self) -> list[PeerRow]:
        rows = self._conn.execute(
            "SELECT endpoint, permanent, banned_until_ns, reason FROM peers ORDER BY endpoint"
        ).fetchall()
        return [PeerRow(r[0], bool(r[1]), r[2], r[3]) for r in rows]

    def peer_save(self, row: PeerRow) -> None:
        if not _fits(row.banned_until_ns):
            raise ValueError(f"banned_until_ns {row.banned_until_ns} is out of range")
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO peers (endpoint, permanent, banned_until_ns, reason)"
                " VALUES (?, ?, ?, ?)",
                (row.endpoint, int(row.permanent), row.banned_until_ns, row.reason),
            )
