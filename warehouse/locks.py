"""Locks that stop two runs from executing the same work, wherever those runs execute.

Each warehouse's client says where its locks live (``SqlClient.lock_session``):

* PostgreSQL: session advisory locks in the warehouse itself, so runs on different hosts
  exclude each other; the server drops them the moment the holding connection dies.
* Redshift (no advisory locks): leases in ``pulse_meta.run_locks`` (warehouse/lease.py), so
  runs on different hosts exclude each other too. A heartbeat renews them; a holder killed
  without releasing (SIGKILL, a lost host) keeps its locks until its lease expires, at most
  ``LeaseLockSession.LEASE_SECONDS`` (120 s) after its last renewal.
* DuckDB (one file, one host): ``flock`` on files in the target's state folder, released by
  the OS the moment the holder dies, even by SIGKILL.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from warehouse.clients import client_class
from warehouse.clients.base import NamedLock, SqlClient
from warehouse.target import Target


class AlreadyRunning(RuntimeError):
    """Another run holds the lock for this work."""


class NothingBuilt(ValueError):
    """A read-only command found no warehouse (or none of what it reads) to read."""


class LockSet:
    """Named locks for one target, all taken or none (names are sorted to avoid deadlocks)."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self._session = client_class(target).lock_session(target)
        self._held: list[NamedLock] = []

    def acquire(self, names: list[str], wait_seconds: float = 0.0) -> None:
        """Take every lock, waiting up to wait_seconds; raise AlreadyRunning otherwise."""
        for name in sorted(set(names)):
            lock = self._session.lock(name)
            stop = time.monotonic() + wait_seconds
            while not lock.try_acquire():
                if time.monotonic() >= stop:
                    holder = lock.holder()
                    lock.release()
                    self.release()
                    raise AlreadyRunning(f"{name} is locked by {holder} ({self.target.describe()})")
                time.sleep(min(self._session.POLL_SECONDS, max(wait_seconds, 0.01)))
            self._held.append(lock)

    def release(self) -> None:
        for lock in reversed(self._held):
            lock.release()
        self._held = []
        self._session.close()

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


def writer_locks(target: Target) -> list[str]:
    """Locks a process must hold to write to the warehouse at all (DuckDB: one writer)."""
    name = client_class(target).SINGLE_WRITER_LOCK
    return [name] if name else []


@contextlib.contextmanager
def connection(target: Target, wait_seconds: float = 600.0) -> Iterator[SqlClient]:
    """A client for the target; where the warehouse allows one writer, processes queue for it
    on a file lock instead of failing on the database's own "could not set lock" error."""
    with held(target, writer_locks(target), wait_seconds):
        client = client_class(target)(target)
        try:
            yield client
        finally:
            client.close()


@contextlib.contextmanager
def read_connection(target: Target, wait_seconds: float = 600.0) -> Iterator[SqlClient]:
    """`connection` for commands that only read: when the warehouse does not exist yet, raise
    NothingBuilt instead of creating an empty one (and its state folder)."""
    if not client_class(target).exists(target):
        raise NothingBuilt(f"nothing is built yet in {target.describe()}: run `pulse run` first")
    with connection(target, wait_seconds) as client:
        yield client
