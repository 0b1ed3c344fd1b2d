"""Redshift's run locks are leases in the warehouse: two scheduler hosts exclude each other.

Each "host" is a separate OS process with its own working folder and state folder, sharing
only the warehouse: pulse's RedshiftClient talking to a PostgreSQL stand-in
(tests/redshift_standin.py) that has Redshift's getdate(). Leases are shortened through the
session's class attributes.
"""

from __future__ import annotations

import logging
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from tests.helpers import fetch
from tests.redshift_standin import add_redshift_functions, point_redshift_at_postgres
from warehouse.clients import RedshiftClient
from warehouse.clients.base import LockLost
from warehouse.dbt import run_dbt
from warehouse.lease import LeaseLockSession
from warehouse.target import Target

REPO = Path(__file__).resolve().parents[1]

# One scheduler host: takes and releases locks on the command of lines on its stdin.
HOST = textwrap.dedent("""
    import sys
    from tests.redshift_standin import point_redshift_at_postgres
    from warehouse.lease import LeaseLockSession
    from warehouse.locks import AlreadyRunning, LockSet
    from warehouse.target import Target

    point_redshift_at_postgres()
    LeaseLockSession.LEASE_SECONDS, LeaseLockSession.RENEW_SECONDS = int(sys.argv[2]), float(sys.argv[3])
    target = Target(**eval(sys.argv[1]))
    locks = LockSet(target)
    print("ready", flush=True)
    for line in sys.stdin:
        command, *args = line.split()
        if command == "acquire":
            try:
                locks.acquire([args[0]], float(args[1]))
                print("held", flush=True)
            except AlreadyRunning as exc:
                print("refused", exc, flush=True)
        elif command == "release":
            locks.release()
            print("released", flush=True)
""")


class Host:
    """A pulse process on a host of its own: its own cwd and PULSE_STATE_DIR."""

    def __init__(self, folder: Path, target: Target, lease: int, renew: float) -> None:
        folder.mkdir(parents=True)
        self.state = folder / "state"
        env = {**os.environ, "PYTHONPATH": str(REPO), "PULSE_STATE_DIR": str(self.state),
               "PULSE_RS_PASSWORD": "stand-in"}
        self.proc = subprocess.Popen([sys.executable, "-c", HOST, repr(asdict(target)), str(lease),
                                      str(renew)], cwd=folder, env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.pid = self.proc.pid
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [self._lines.put(x) for x in self.proc.stdout],
                         daemon=True).start()
        assert self._reply() == "ready"

    def _reply(self, timeout: float = 60) -> str:
        try:
            return self._lines.get(timeout=timeout).strip()
        except queue.Empty:
            raise AssertionError(f"host pid {self.pid} did not answer in {timeout} s") from None

    def send(self, command: str) -> str:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self._reply()

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
        self.proc.wait()


@pytest.fixture
def rs_target(pg_target: Target) -> Target:
    """A Redshift target whose connections reach the test's throwaway PostgreSQL database."""
    add_redshift_functions(pg_target.host, pg_target.port, pg_target.user, pg_target.dbname)
    return Target("redshift", host=pg_target.host, port=pg_target.port, user=pg_target.user,
                  dbname=pg_target.dbname)


@pytest.fixture
def hosts(tmp_path, rs_target):
    started: list[Host] = []

    def start(name: str, lease: int = 120, renew: float = 30) -> Host:
        started.append(Host(tmp_path / name, rs_target, lease, renew))
        return started[-1]

    yield start
    for host in started:
        host.kill()


def lease_rows(target: Target, name: str) -> list[tuple]:
    """(holder, acquired_at, expires_at, warehouse now) of the lease rows of `name`."""
    pg = replace(target, name="postgres")
    return fetch(pg, "select holder, acquired_at, expires_at, (statement_timestamp() at time zone "
                     f"'UTC')::timestamp from pulse_meta.run_locks where lock_name = '{name}'")


def test_a_second_host_is_refused_naming_the_first_until_it_releases(hosts, rs_target):
    first, second = hosts("host-a"), hosts("host-b")
    assert first.send("acquire batch:2026-10-05 0") == "held"
    refused = second.send("acquire batch:2026-10-05 0.5")
    assert refused.startswith("refused batch:2026-10-05 is locked by ")
    assert f"host {socket.gethostname()} pid {first.pid} (lease expires " in refused
    assert re.search(r"UTC, in 1(19|20) s\)", refused)  # a fresh 120 s lease
    assert second.send("acquire batch:2026-10-06 0") == "held"  # other names are free
    assert first.send("release") == "released"
    assert second.send("acquire batch:2026-10-05 0") == "held"
    assert f"pid {second.pid} " in first.send("acquire batch:2026-10-05 0")
    # the warehouse holds the locks: neither host's state folder has a lock file
    assert not [p for h in (first, second) for p in h.state.rglob("*.lock")]


def test_a_killed_holder_keeps_the_lock_until_its_lease_expires(hosts, rs_target):
    first, second = hosts("host-a", lease=3, renew=0.5), hosts("host-b", lease=3, renew=0.5)
    assert first.send("acquire transform 0") == "held"
    first.kill()
    killed_at = time.monotonic()
    [(holder, _, expires_at, now)] = lease_rows(rs_target, "transform")
    assert f":{first.pid}:" in holder and expires_at > now
    assert f"pid {first.pid} " in second.send("acquire transform 0")  # not freed by the death
    assert second.send("acquire transform 15") == "held"
    waited = time.monotonic() - killed_at
    [(holder, acquired_at, _, _)] = lease_rows(rs_target, "transform")
    assert f":{second.pid}:" in holder and acquired_at >= expires_at
    assert waited < 3 + 5  # the lease length bounds the wait (plus polling and start-up)


def test_the_heartbeat_keeps_a_lease_alive_past_its_length(hosts, rs_target):
    first, second = hosts("host-a", lease=2, renew=0.3), hosts("host-b", lease=2, renew=0.3)
    assert first.send("acquire ingest-window 0") == "held"
    [(_, acquired_at, first_expiry, _)] = lease_rows(rs_target, "ingest-window")
    time.sleep(5)  # more than twice the lease
    assert f"pid {first.pid} " in second.send("acquire ingest-window 0")
    [(holder, acquired, expires_at, now)] = lease_rows(rs_target, "ingest-window")
    assert f":{first.pid}:" in holder and acquired == acquired_at
    assert expires_at > now and (expires_at - first_expiry).total_seconds() > 3


def test_release_never_deletes_another_holders_row(hosts, rs_target, monkeypatch, caplog):
    """A holder whose lease lapsed (no heartbeat here) and was taken over neither deletes the
    new holder's row on release nor renews it; the renewal reports the loss as an error."""
    monkeypatch.setenv("PULSE_RS_PASSWORD", "stand-in")
    point_redshift_at_postgres(monkeypatch.setattr)
    monkeypatch.setattr(LeaseLockSession, "LEASE_SECONDS", 1)
    monkeypatch.setattr(LeaseLockSession, "RENEW_SECONDS", 3600.0)
    session = RedshiftClient.lock_session(rs_target)
    assert isinstance(session, LeaseLockSession)
    released, renewed = session.lock("transform"), session.lock("ingest-window")
    try:
        assert released.try_acquire() and renewed.try_acquire()
        time.sleep(1.5)
        other = hosts("host-b")
        assert other.send("acquire transform 0") == "held"
        assert other.send("acquire ingest-window 0") == "held"
        released.release()
        [(holder, *_)] = lease_rows(rs_target, "transform")
        assert f":{other.pid}:" in holder
        with caplog.at_level(logging.ERROR, logger="warehouse.lease"):
            assert session.renew() == ["ingest-window"]
        assert "LOCK LOST: the lease on ingest-window" in caplog.text
        [(holder, _, expires_at, now)] = lease_rows(rs_target, "ingest-window")
        assert f":{other.pid}:" in holder and (expires_at - now).total_seconds() > 60
        assert not released.try_acquire()
        assert released.holder().startswith(f"host {socket.gethostname()} pid {other.pid} ")
    finally:
        session.close()
    assert len(lease_rows(rs_target, "transform")) == 1  # closing released nothing of theirs


def test_the_heartbeat_reconnects_after_the_warehouse_drops_its_connection(rs_target, monkeypatch,
                                                                            caplog):
    monkeypatch.setenv("PULSE_RS_PASSWORD", "stand-in")
    point_redshift_at_postgres(monkeypatch.setattr)
    monkeypatch.setattr(LeaseLockSession, "RENEW_SECONDS", 3600.0)  # renewals by hand below
    session = RedshiftClient.lock_session(rs_target)
    try:
        assert session.lock("transform").try_acquire()
        [(_, _, taken_expiry, _)] = lease_rows(rs_target, "transform")
        fetch(replace(rs_target, name="postgres"),
              "select pg_terminate_backend(pid) from pg_stat_activity "
              "where datname = current_database() and pid <> pg_backend_pid()")
        with caplog.at_level(logging.WARNING, logger="warehouse.lease"):
            assert session.renew() == []  # the dropped connection: a warning, the lease kept
        assert "could not renew the leases transform" in caplog.text
        time.sleep(1.1)
        assert session.renew() == []  # a new connection renews it
        [(_, _, expires_at, _)] = lease_rows(rs_target, "transform")
        assert (expires_at - taken_expiry).total_seconds() > 1
    finally:
        session.close()
    assert lease_rows(rs_target, "transform") == []  # closing released it


def test_a_run_that_lost_its_lease_writes_nothing_more(hosts, rs_target, monkeypatch):
    """Once a renewal finds a lease taken over, every commit of the process is refused and
    rolled back, and a running dbt is stopped; closing the lock session lifts that."""
    monkeypatch.setenv("PULSE_RS_PASSWORD", "stand-in")
    point_redshift_at_postgres(monkeypatch.setattr)
    monkeypatch.setattr(LeaseLockSession, "LEASE_SECONDS", 1)
    monkeypatch.setattr(LeaseLockSession, "RENEW_SECONDS", 3600.0)
    with RedshiftClient(rs_target) as client, client.transaction():
        client.execute("create table lost_lease_probe (n integer)")
    session = RedshiftClient.lock_session(rs_target)
    try:
        assert session.lock("batch:2026-11-01").try_acquire()
        time.sleep(1.5)
        assert hosts("host-b").send("acquire batch:2026-11-01 0") == "held"
        assert session.renew() == ["batch:2026-11-01"]
        with RedshiftClient(rs_target) as client, \
                pytest.raises(LockLost, match=r"^the lock batch:2026-11-01 was lost"), \
                client.transaction():
            client.execute("insert into lost_lease_probe values (1)")
        assert fetch(rs_target, "select count(*) from lost_lease_probe") == [(0,)]
        lines: list[str] = []  # dbt is stopped at its first line of output
        with pytest.raises(LockLost):
            run_dbt(["--version"], on_line=lambda line, proc: lines.append(line))
        assert len(lines) == 1
    finally:
        session.close()
    with RedshiftClient(rs_target) as client, client.transaction():
        client.execute("insert into lost_lease_probe values (2)")
    assert fetch(rs_target, "select n from lost_lease_probe") == [(2,)]
