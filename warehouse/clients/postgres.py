"""PostgreSQL: psycopg2, implicit transactions, COPY FROM STDIN, advisory locks across hosts."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import os
from collections.abc import Sequence
from typing import ClassVar

from warehouse.clients.base import LockSession, PartitionFiles, SqlClient
from warehouse.target import Target, identifier


def connect_postgres(target: Target, dbname: str | None = None):
    """A psycopg2 connection; a refused connection becomes one line naming the target."""
    import psycopg2

    try:
        return psycopg2.connect(host=target.host, port=target.port, user=target.user,
                                dbname=dbname or target.dbname, connect_timeout=10,
                                password=os.environ.get("PULSE_PG_PASSWORD") or None)
    except psycopg2.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0]
        if f'database "{dbname or target.dbname}" does not exist' in reason:
            name = dbname or target.dbname
            reason = (f'database "{name}" does not exist: create it (createdb -h {target.host} '
                      f"-p {target.port} -U {target.user} {name}) or set PULSE_PG_DBNAME "
                      "(README: Warehouses)")
        raise ConnectionError(f"cannot connect to {target.describe()}: {reason}") from None


def parquet_as_csv(handle) -> io.BytesIO:
    """Parquet → CSV that COPY reads (null = empty unquoted, strings quoted when needed)."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    out = io.BytesIO()
    pacsv.write_csv(pq.read_table(handle), out)
    out.seek(0)
    return out


class PostgresClient(SqlClient):
    TYPES: ClassVar[dict[str, str]] = {
        "string": "text", "short_string": "text", "timestamp": "timestamp", "date": "date",
        "integer": "bigint", "double": "double precision", "boolean": "boolean"}
    NOW_UTC: ClassVar[str] = "(statement_timestamp() at time zone 'UTC')"  # now() is the txn's start

    def _connect(self):
        return connect_postgres(self.target)

    def lock_table(self, qualified: str) -> None:
        self.execute(f"lock table {qualified} in exclusive mode")

    def copy_into(self, table: str, columns: Sequence[tuple[str, str]], files: PartitionFiles) -> None:
        names = ", ".join(identifier(name) for name, _ in columns)
        sql = f"copy {table} ({names}) from stdin with (format csv, header true)"
        cur = self.conn.cursor()
        with files.local_paths() as paths:
            for path in paths:
                with open(path, "rb") as raw:
                    if files.fmt == "parquet":
                        cur.copy_expert(sql, parquet_as_csv(raw))
                    else:
                        with gzip.open(raw, "rb") as data:
                            cur.copy_expert(sql, data)

    @classmethod
    def lock_session(cls, target: Target) -> LockSession:
        return AdvisoryLockSession(target)

    @classmethod
    def check_reachable(cls, target: Target) -> None:
        connect_postgres(target).close()


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for pg_try_advisory_lock."""
    return int.from_bytes(hashlib.sha256(f"pulse:{name}".encode()).digest()[:8], "big", signed=True)


class _AdvisoryLock:
    def __init__(self, conn, name: str) -> None:
        self.conn, self.key = conn, advisory_key(name)

    def try_acquire(self) -> bool:
        cur = self.conn.cursor()
        cur.execute("select pg_try_advisory_lock(%s)", [self.key])
        return bool(cur.fetchone()[0])

    def holder(self) -> str:
        cur = self.conn.cursor()
        cur.execute("select pid from pg_locks where locktype = 'advisory' and granted "
                    "and ((classid::bigint << 32) | objid::bigint) = %s", [self.key])
        row = cur.fetchone()
        return f"backend pid {row[0]}" if row else "another session"

    def release(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.cursor().execute("select pg_advisory_unlock(%s)", [self.key])


class AdvisoryLockSession(LockSession):
    """Session advisory locks in the warehouse itself: runs on different hosts exclude each
    other, and the server drops the locks the moment the holding connection dies."""

    def __init__(self, target: Target) -> None:
        super().__init__(target)
        self._conn = None

    def lock(self, name: str) -> _AdvisoryLock:
        if self._conn is None:
            self._conn = connect_postgres(self.target)
            self._conn.autocommit = True
        return _AdvisoryLock(self._conn, name)

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None
