"""The SQL client every stage talks to: one subclass per warehouse, in the manner of dlt's
destination clients. It owns the connection, transactions, the placeholder style, type
names, quoting, bulk copy and named locks, so callers never branch on a dialect.

SQL passed to a client uses ``%s`` placeholders on every warehouse.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, ClassVar, Protocol

from warehouse.target import Target, identifier, quoted

# Logical column types (ingest/schema.py, warehouse/meta.py) and their spelling per warehouse
# live in each client's TYPES.
LOGICAL_TYPES = ("string", "short_string", "timestamp", "date", "integer", "double", "boolean")


class PartitionFiles(Protocol):
    """The data files of one lake partition, as a client's bulk copy needs them."""

    fmt: str  # "csv.gz" (with a header row) or "parquet"

    def local_paths(self) -> AbstractContextManager[list[str]]:
        """The files on local disk (objects in S3 are spooled to temporary files)."""

    def copy_manifest_url(self) -> str:
        """An ``s3://`` URL of a Redshift COPY manifest listing the files (written on demand)."""


class NamedLock(Protocol):
    def try_acquire(self) -> bool: ...
    def holder(self) -> str: ...
    def release(self) -> None: ...


class FileLock:
    """``flock`` on a file: released by the OS when the holder dies, even by SIGKILL."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.handle = open(path, "a+")  # noqa: SIM115 - held until release()

    def try_acquire(self) -> bool:
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        self.handle.seek(0)
        self.handle.truncate()
        self.handle.write(f"{os.getpid()}\n")
        self.handle.flush()
        return True

    def holder(self) -> str:
        with contextlib.suppress(OSError):
            return f"pid {self.path.read_text().strip() or '?'}"
        return "another process"

    def release(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


class LockSession:
    """Where a set of named locks lives; the default is lock files in the target's state folder."""

    POLL_SECONDS: ClassVar[float] = 0.2  # how often a waiting acquirer tries again

    def __init__(self, target: Target) -> None:
        self.target = target

    def lock(self, name: str) -> NamedLock:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
        return FileLock(self.target.state_dir() / "locks" / f"{safe}.lock")

    def close(self) -> None:
        """Nothing to close for lock files (each lock releases itself)."""


class LockLost(RuntimeError):
    """A lock this process held was taken by another run (its lease lapsed): the process then
    commits nothing more, so two runs never both write the work the lock guards."""


_LOST_LOCKS: set[str] = set()  # locks this process held and lost (warehouse/lease.py)


def lock_lost(name: str) -> None:
    _LOST_LOCKS.add(name)


def lock_settled(name: str) -> None:
    """The lost lock was given up or taken again: commits may go on."""
    _LOST_LOCKS.discard(name)


def refuse_if_lock_lost() -> None:
    """Raise LockLost while a lock of this process is lost (before any write takes effect)."""
    if _LOST_LOCKS:
        raise LockLost(f"the lock {', '.join(sorted(_LOST_LOCKS))} was lost (its lease lapsed "
                       "and another run took it): this run writes nothing more")


class SqlClient:
    """A connection to one warehouse. Use as a context manager; autocommit is off.

    While a lock of this process is lost, every commit is refused (LockLost) and rolled back.
    """

    TYPES: ClassVar[dict[str, str]] = {}
    # A warehouse that allows one writing process at a time (DuckDB): connections queue on a
    # file lock of this name instead of failing on the database's own lock error.
    SINGLE_WRITER_LOCK: ClassVar[str | None] = None
    # Capabilities callers ask for instead of branching on the warehouse's name.
    # JSON_KEY_ROWS: a JSON object's keys can be expanded into rows (the schema-drift model
    # int_event_schema_first_seen needs it; Redshift has no such function, dbt disables it).
    JSON_KEY_ROWS: ClassVar[bool] = True
    # The warehouse's clock as a UTC timestamp without time zone (see now_sql).
    NOW_UTC: ClassVar[str] = "(current_timestamp at time zone 'UTC')"

    def __init__(self, target: Target) -> None:
        self.target = target
        self.conn = self._connect()
        self._depth = 0
        self.guards_writes = True  # False only for the connection that keeps the lock leases

    # -- connection ---------------------------------------------------------------------------
    def _connect(self):
        raise NotImplementedError

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()

    def __enter__(self) -> SqlClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- statements -----------------------------------------------------------------------
    def _sql(self, sql: str) -> str:
        """The statement in the driver's placeholder style."""
        return sql

    def _cursor(self):
        return self.conn.cursor()

    def execute(self, sql: str, params: Sequence[Any] | None = None):
        """Run one statement; return the cursor (for fetches)."""
        cur = self._cursor()
        cur.execute(self._sql(sql), list(params or []))
        return cur

    def fetchall(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        return [tuple(r) for r in self.execute(sql, params).fetchall()]

    def fetchone(self, sql: str, params: Sequence[Any] | None = None) -> tuple | None:
        row = self.execute(sql, params).fetchone()
        return None if row is None else tuple(row)

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        row = self.fetchone(sql, params)
        return None if row is None else row[0]

    def fetch(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        """A read that leaves the connection usable when it fails (rolls back, re-raises).

        Inside `transaction()` it only re-raises: the transaction rolls back as a whole, instead
        of its earlier statements being discarded while the block carries on.
        """
        try:
            return self.fetchall(sql, params)
        except Exception:
            if not self._depth:
                self.rollback()
            raise

    # -- transactions ---------------------------------------------------------------------
    def _begin(self) -> None:
        """Open a transaction (drivers that open one implicitly need nothing)."""

    def commit(self) -> None:
        if self.guards_writes:
            try:
                refuse_if_lock_lost()
            except LockLost:
                self.rollback()
                raise
        self.conn.commit()

    def rollback(self) -> None:
        with contextlib.suppress(Exception):  # a failed statement may already have aborted it
            self.conn.rollback()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[SqlClient]:
        """All statements inside commit together or not at all; nested use joins the outer one."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        self._begin()
        self._depth = 1
        try:
            yield self
            self.commit()
        except BaseException:
            self.rollback()
            raise
        finally:
            self._depth = 0

    # -- dialect facts --------------------------------------------------------------------
    def type_name(self, logical: str) -> str:
        try:
            return self.TYPES[logical]
        except KeyError:
            raise ValueError(f"unknown column type {logical!r}; use one of {', '.join(LOGICAL_TYPES)}") \
                from None

    def quote(self, name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    def column_ddl(self, columns: Iterable[tuple[str, str, bool]]) -> str:
        """Column definitions for CREATE TABLE from (name, logical type, nullable)."""
        return ",\n  ".join(f"{identifier(name)} {self.type_name(kind)}{'' if nullable else ' not null'}"
                            for name, kind, nullable in columns)

    def now_sql(self, plus_seconds: int = 0) -> str:
        """A SQL expression of the warehouse's clock in UTC, plus whole seconds: leases shared
        by several hosts compare against this one clock, never against a host's own."""
        return self.NOW_UTC + (f" + interval '{int(plus_seconds)} seconds'" if plus_seconds else "")

    def create_schema(self, schema: str) -> None:
        self.execute(f"create schema if not exists {quoted(schema)}")

    def create_table(self, qualified: str, columns: Iterable[tuple[str, str, bool]]) -> None:
        schema, _, table = qualified.partition(".")
        self.execute(f"create table if not exists {quoted(schema)}.{quoted(table)} "
                     f"(\n  {self.column_ddl(columns)}\n)")

    def table_exists(self, schema: str, table: str) -> bool:
        rows = self.fetch("select count(*) from information_schema.tables "
                          "where table_schema = %s and table_name = %s", [schema, table])
        return rows[0][0] > 0

    def lock_table(self, qualified: str) -> None:
        """Lock a table exclusively until the current transaction ends (writers queue)."""

    def create_staging_like(self, stage: str, source: str, columns: Sequence[str]) -> None:
        """An empty temporary table with `columns` of `source`, dropped with the session."""
        self.execute(f"create temporary table {identifier(stage)} as select {', '.join(columns)} "
                     f"from {source} where 1 = 0")

    def run_load_step(self, step) -> None:
        """One non-copy statement of a partition load (warehouse.merge.Step)."""
        self.execute(step.sql, step.params)

    # -- bulk copy ------------------------------------------------------------------------
    def copy_into(self, table: str, columns: Sequence[tuple[str, str]], files: PartitionFiles) -> None:
        """Bulk-load a partition's files into `table` (columns as (name, logical type))."""
        raise NotImplementedError

    @classmethod
    def exists(cls, target: Target) -> bool:
        """Whether the warehouse exists already (a server database is assumed to; a DuckDB
        file may not), so read-only commands can say so instead of creating it."""
        return True

    @classmethod
    def check_reachable(cls, target: Target) -> None:
        """Raise ConnectionError (one line naming the target and the fix) when the warehouse
        cannot be reached: a missing server database is said before any work. A DuckDB file
        is created when first used."""

    # -- named locks ----------------------------------------------------------------------
    @classmethod
    def lock_session(cls, target: Target) -> LockSession:
        return LockSession(target)
