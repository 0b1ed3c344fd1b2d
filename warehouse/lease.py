"""Named locks as leases in a warehouse table, for warehouses without server-side locks (Redshift).

A lock is a row of ``pulse_meta.run_locks`` (warehouse/meta.py) naming its holder
(``host:pid:token``) and when its lease expires by the warehouse's clock. Taking one locks the
table, so takers queue, and refuses while another holder's lease is live; a heartbeat thread
renews every held lease; release deletes only our own rows. Every host that shares the
warehouse sees the same rows, so runs on different hosts exclude each other.

The price: a holder that dies without releasing (SIGKILL, a lost host) keeps its locks until
its lease expires, at most LEASE_SECONDS after its last renewal, where PostgreSQL's advisory
locks and DuckDB's flock files are freed the moment the holder dies. And a holder starved of
renewals for longer (a frozen host) can lose a lease to another run: the renewal that finds it
gone marks it lost, and from then on every commit of the process is refused (LockLost) until
the lock session closes, so the late run stops writing instead of racing the new holder.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from warehouse import meta
from warehouse.clients.base import LockSession, SqlClient, lock_lost, lock_settled
from warehouse.target import Target

log = logging.getLogger(__name__)
T = TypeVar("T")


def describe_lease(lease: meta.Lease) -> str:
    """'host H pid P (lease expires ... UTC, in N s)' for an AlreadyRunning message."""
    host, _, rest = lease.holder.partition(":")
    pid = rest.partition(":")[0] or "?"
    left = max(0, round((lease.expires_at - lease.now).total_seconds()))
    return f"host {host} pid {pid} (lease expires {lease.expires_at:%Y-%m-%d %H:%M:%S} UTC, in {left} s)"


class LeaseLock:
    """One named lock of a LeaseLockSession."""

    def __init__(self, session: LeaseLockSession, name: str) -> None:
        self.session, self.name = session, name
        self._other: meta.Lease | None = None

    def try_acquire(self) -> bool:
        self._other = self.session.take(self.name)
        return self._other is None

    def holder(self) -> str:
        return describe_lease(self._other) if self._other else "another run (its lease just ended)"

    def release(self) -> None:
        self.session.give_back(self.name)


class LeaseLockSession(LockSession):
    """Leases held by one process through one warehouse connection, renewed in the background."""

    # Class attributes (no setting exists for them); tests shorten them.
    LEASE_SECONDS = 120  # how long a lease lives past its last renewal: the bound after a SIGKILL
    RENEW_SECONDS = 30.0  # how often the heartbeat renews (several renewals fit in one lease)
    POLL_SECONDS = 2.0  # a waiting acquirer's retries are warehouse transactions: fewer of them

    def __init__(self, target: Target, client_class: type[SqlClient]) -> None:
        super().__init__(target)
        self.client_class = client_class
        self.token = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(6)}"
        self._client: SqlClient | None = None
        self._mutex = threading.RLock()  # the connection and _held are shared with the heartbeat
        self._held: set[str] = set()
        self._lost: set[str] = set()
        self._renewed = time.monotonic()
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None

    def lock(self, name: str) -> LeaseLock:
        return LeaseLock(self, name)

    # -- the connection ---------------------------------------------------------------------
    def _use(self, work: Callable[[SqlClient], T]) -> T:
        """Run `work` on the session's connection (opened, and the table created, on first
        use); a failure drops the connection so the next use reconnects."""
        with self._mutex:
            if self._client is None:
                client = self.client_class(self.target)
                client.guards_writes = False  # keeping the leases is not the guarded work
                try:
                    meta.setup_run_locks(client)
                except BaseException:
                    client.close()
                    raise
                self._client = client
            try:
                return work(self._client)
            except BaseException:
                self._client.close()
                self._client = None
                raise

    # -- locks --------------------------------------------------------------------------
    def take(self, name: str) -> meta.Lease | None:
        """Take the lease on `name` (None) or return the other holder's live lease."""
        with self._mutex:
            other = self._use(lambda c: meta.take_lease(c, name, self.token, self.LEASE_SECONDS))
            if other is None:
                self._held.add(name)
                self._lost.discard(name)
                lock_settled(name)
                self._renewed = time.monotonic()
                self._start_heartbeat()
            return other

    def give_back(self, name: str) -> None:
        """Release `name` if we took it; a failure leaves the row to expire with its lease."""
        with self._mutex:
            if name not in self._held:
                return
            self._held.discard(name)
            try:
                self._use(lambda c: meta.release_lease(c, name, self.token))
            except Exception as exc:
                log.warning("could not release the lock %s (%s: %s); it frees itself when its "
                            "lease expires within %d s", name, type(exc).__name__, exc,
                            self.LEASE_SECONDS)

    def close(self) -> None:
        """Stop the heartbeat, release what is held, close the connection; a later lock()
        starts over (as a LockSet does after a refused acquire)."""
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join()
        self._heartbeat, self._stop = None, threading.Event()
        with self._mutex:
            for name in sorted(self._held):
                self.give_back(name)
            for name in self._lost:  # this run is over: its loss no longer stops commits
                lock_settled(name)
            self._lost.clear()
            if self._client is not None:
                self._client.close()
                self._client = None

    # -- heartbeat ----------------------------------------------------------------------
    def _start_heartbeat(self) -> None:
        if self._heartbeat is None:
            self._heartbeat = threading.Thread(target=self._beat, name=f"lease-heartbeat-{self.token}",
                                               daemon=True)
            self._heartbeat.start()

    def _beat(self) -> None:
        while not self._stop.wait(self.RENEW_SECONDS):
            self.renew()

    def renew(self) -> list[str]:
        """Renew every held lease; return the names found lost (another holder took them after
        our lease lapsed), which are logged as errors and no longer counted as held."""
        with self._mutex:
            names = sorted(self._held)
            try:
                lost = [n for n in names
                        if not self._use(lambda c, n=n: meta.renew_lease(c, n, self.token,
                                                                         self.LEASE_SECONDS))]
            except Exception as exc:
                since = time.monotonic() - self._renewed  # past the lease: another run may take them
                log.log(logging.ERROR if since > self.LEASE_SECONDS else logging.WARNING,
                        "could not renew the leases %s (%s: %s); last renewed %.0f s ago, they "
                        "lapse %d s after it", ", ".join(names), type(exc).__name__, exc, since,
                        self.LEASE_SECONDS)
                return []
            self._renewed = time.monotonic()
            for name in lost:
                self._held.discard(name)
                self._lost.add(name)
                lock_lost(name)
                log.error("LOCK LOST: the lease on %s (%s) lapsed and another run took it; this "
                          "run (%s) commits nothing more", name, self.target.describe(), self.token)
            return lost

