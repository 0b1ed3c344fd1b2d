"""Shared fixtures: small generated data, throwaway warehouses (DuckDB file, PostgreSQL db).

PostgreSQL comes from PULSE_PG_HOST/PORT/USER (default 127.0.0.1:5432, postgres). If none
answers, a throwaway cluster is started with the installed server binaries on a free
loopback port; with no binaries the tests fail with an install hint, never skip.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.engines import ENGINES
from tests import cli_guard
from tests.helpers import throwaway_database
from warehouse.target import Target

# dbt writes target/ and logs/ in the project; give each test process its own, so parallel
# sessions, xdist workers (and a developer's own dbt runs) never share partial-parse or
# manifest files. xdist workers inherit the controller's environment, so a worker always
# takes a fresh folder rather than keeping the one it inherited.
_DBT_SCRATCH = tempfile.mkdtemp(prefix="pulse-dbt-")
for _var, _sub in (("DBT_TARGET_PATH", "target"), ("DBT_LOG_PATH", "logs")):
    if os.environ.get("PYTEST_XDIST_WORKER") or _var not in os.environ:
        os.environ[_var] = os.path.join(_DBT_SCRATCH, _sub)

# suite-wide: no `pulse` command in any test prints a traceback for a user error
cli_guard.install()

INSTALL_HINT = (
    "PostgreSQL is needed for these tests and none is reachable at {where}, and no server "
    "binaries were found to start one. Install it (Debian: `apt-get install postgresql`), "
    "start it (`pg_ctlcluster --skip-systemctl-redirect 15 main start`), or point "
    "PULSE_PG_HOST/PULSE_PG_PORT/PULSE_PG_USER at a server."
)


def _reachable(host: str, port: int, user: str) -> bool:
    import psycopg2

    try:
        psycopg2.connect(host=host, port=port, user=user, dbname="postgres",
                         connect_timeout=3, password=os.environ.get("PULSE_PG_PASSWORD")).close()
        return True
    except psycopg2.OperationalError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    """Server binaries refuse to run as root; drop to the postgres user when we are root."""
    if os.geteuid() == 0 and shutil.which("runuser"):
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Target]:
    host = os.environ.get("PULSE_PG_HOST", "127.0.0.1")
    port = int(os.environ.get("PULSE_PG_PORT", "5432"))
    user = os.environ.get("PULSE_PG_USER", "postgres")
    if _reachable(host, port, user):
        yield Target("postgres", host=host, port=port, user=user, dbname="postgres")
        return
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    initdb = bins[-1] if bins else shutil.which("initdb")
    if not initdb:
        pytest.fail(INSTALL_HINT.format(where=f"{host}:{port}"), pytrace=False)
    bindir = Path(initdb).parent
    datadir = Path(tempfile.mkdtemp(prefix="pulse-pg-"))
    if os.geteuid() == 0:
        shutil.chown(datadir, "postgres")
    port = _free_port()
    subprocess.run(_as_postgres([str(bindir / "initdb"), "-D", str(datadir), "-U", "postgres",
                                 "--auth=trust", "-E", "UTF8"]), check=True, capture_output=True)
    subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(datadir), "-w", "-l",
                                 str(datadir / "server.log"), "-o",
                                 f"-h 127.0.0.1 -p {port} -k {datadir}", "start"]),
                   check=True, capture_output=True)
    try:
        deadline = time.time() + 30
        while not _reachable("127.0.0.1", port, "postgres"):
            if time.time() > deadline:
                pytest.fail(f"throwaway PostgreSQL on 127.0.0.1:{port} did not start; "
                            f"see {datadir}/server.log", pytrace=False)
            time.sleep(0.5)
        yield Target("postgres", host="127.0.0.1", port=port, user="postgres", dbname="postgres")
    finally:
        subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(datadir), "-m", "fast",
                                     "stop"]), check=False, capture_output=True)
        shutil.rmtree(datadir, ignore_errors=True)


@pytest.fixture
def pg_target(pg_server: Target) -> Iterator[Target]:
    """A throwaway database on the test PostgreSQL, dropped afterwards."""
    yield from throwaway_database(pg_server)


@pytest.fixture
def pg_target_2(pg_server: Target) -> Iterator[Target]:
    """A second throwaway database, for comparing two builds."""
    yield from throwaway_database(pg_server)




@pytest.fixture(params=ENGINES)
def engine(request) -> str:
    """Run an ingest test on each engine: `columnar` (the default) and `mrjob`. Build the
    options with tests.helpers.ingest_options(engine, ...), which puts mrjob on its inline
    runner; the runner matrix is tests/test_runners.py."""
    return request.param


@pytest.fixture
def duckdb_target(tmp_path: Path) -> Target:
    return Target("duckdb", duckdb_path=str(tmp_path / "warehouse.duckdb"))


@pytest.fixture(params=["duckdb", "postgres"])
def any_target(request) -> Target:
    """Run a test against DuckDB and against PostgreSQL."""
    return request.getfixturevalue({"duckdb": "duckdb_target", "postgres": "pg_target"}[request.param])


# `make test` runs the suite on every core (pytest-xdist, --dist loadgroup). A group is a
# module and, for tests run on both warehouses, one dialect: module-scoped fixtures (a
# generated lake, a built warehouse) are built once per group, and the two dialects of an
# end-to-end module run side by side. The largest groups (seen with --durations) go first so
# the workers finish together.
LARGEST_FIRST = ("tests.test_monitor_e2e", "tests.test_orchestration", "tests.test_demo",
                 "tests.test_marts_equivalence", "tests.test_bi_semantic", "tests.test_experiment_stats",
                 "tests.test_pipeline_e2e")
DIALECTS = ("duckdb", "postgres")


def _dialect(item: pytest.Item) -> str | None:
    params = getattr(getattr(item, "callspec", None), "params", {})
    return next((v for v in params.values() if isinstance(v, str) and v in DIALECTS), None)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        dialect = _dialect(item)
        item.add_marker(pytest.mark.xdist_group(item.module.__name__ + (f"-{dialect}" if dialect else "")))

    def order(item: pytest.Item) -> int:
        module = item.module.__name__
        if module in LARGEST_FIRST:
            return LARGEST_FIRST.index(module)
        return len(LARGEST_FIRST) + (0 if item.get_closest_marker("slow") else 1)

    items.sort(key=order)  # stable: collection order within a rank
