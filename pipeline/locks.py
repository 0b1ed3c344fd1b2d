"""Locks that stop two runs from executing the same work, and die with their holder.

PostgreSQL: session advisory locks in the warehouse itself, so runs on different hosts
exclude each other. DuckDB (one file, one host) and Redshift (no advisory locks): ``flock``
on files in the warehouse's state folder. Both are released by the OS or the server the
moment the holding process dies, even by SIGKILL, so a crash never leaves a stale lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

from ingest.load.warehouse import Target, connect
from pipeline.state import state_dir


class AlreadyRunning(RuntimeError):
    """Another run holds the lock for this work."""


def _advisory_key(name: str) -> int:
    """A stable signed 64-bit key for pg_try_advisory_lock."""
    return int.from_bytes(hashlib.sha256(f"pulse:{name}".encode()).digest()[:8], "big", signed=True)


class _FileLock:
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


class _AdvisoryLock:
    def __init__(self, conn, name: str) -> None:
        self.conn, self.key = conn, _advisory_key(name)

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


class LockSet:
    """Named locks for one target, all taken or none (names are sorted to avoid deadlocks)."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self._conn = None
        self._held: list = []

    def _lock(self, name: str):
        if self.target.dialect == "postgres":
            if self._conn is None:
                self._conn = connect(self.target)
                self._conn.autocommit = True
            return _AdvisoryLock(self._conn, name)
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
        return _FileLock(state_dir(self.target) / "locks" / f"{safe}.lock")

    def acquire(self, names: list[str], wait_seconds: float = 0.0) -> None:
        """Take every lock, waiting up to wait_seconds; raise AlreadyRunning otherwise."""
        for name in sorted(set(names)):
            lock = self._lock(name)
            stop = time.monotonic() + wait_seconds
            while not lock.try_acquire():
                if time.monotonic() >= stop:
                    holder = lock.holder()
                    if isinstance(lock, _FileLock):
                        lock.release()
                    self.release()
                    raise AlreadyRunning(f"{name} is locked by {holder} "
                                         f"({self.target.describe()})")
                time.sleep(min(0.2, max(wait_seconds, 0.01)))
            self._held.append(lock)

    def release(self) -> None:
        for lock in reversed(self._held):
            lock.release()
        self._held = []
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None

    def __enter__(self) -> LockSet:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


@contextlib.contextmanager
def held(target: Target, names: list[str], wait_seconds: float = 0.0) -> Iterator[LockSet]:
    locks = LockSet(target)
    try:
        locks.acquire(names, wait_seconds)
        yield locks
    finally:
        locks.release()


@contextlib.contextmanager
def warehouse(target: Target, wait_seconds: float = 600.0) -> Iterator[object]:
    """A connection to the target; on DuckDB, one process at a time (the file allows one writer).

    Worker processes and concurrent runs queue on a file lock instead of failing on
    DuckDB's own "could not set lock" error.
    """
    if target.dialect != "duckdb":
        conn = connect(target)
        try:
            yield conn
        finally:
            conn.close()
        return
    with held(target, ["duckdb-connection"], wait_seconds):
        conn = connect(target)
        try:
            yield conn
        finally:
            conn.close()
