"""Reliability of `pulse run` (the Luigi graph), on DuckDB and PostgreSQL, through the real CLI.

Each test runs `pulse run` as a subprocess on tiny generated data and checks the promises of
the orchestration: a run killed with SIGKILL during the load or during dbt, then rerun,
leaves the warehouse identical to an uninterrupted run; a failing dbt model stops its
downstream and the publish step, alerts once, and the rerun redoes only the failed and
skipped nodes; missing raw input exits 4 without publishing; two runs for one date never
both proceed; a 14-date backfill runs through a real luigid whose API reports the tasks; a
disk-full failure or a kill during a window's ingest costs the rerun only the dates left
incomplete; a damaged lake (changed parts, deleted manifests, temp files) is found by
`pulse verify` and repaired from raw by the next run.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import date, timedelta
from pathlib import Path
from unittest import mock

import orjson
import psycopg2
import pytest

from ingest.lake import open_lake, read_manifest
from ingest.tables import all_tables
from simulator import generate
from tests.helpers import fetch, fetch_dicts
from warehouse import Target

pytestmark = pytest.mark.slow

DAY1 = date(2026, 10, 5)
DAYS = [DAY1 + timedelta(days=i) for i in range(3)]
TABLES = len(all_tables())  # events and every log table are loaded per date
REPO = Path(__file__).resolve().parents[1]
HOOKS = Path(__file__).resolve().parent / "hooks"  # the pause points, installed by sitecustomize
PULSE = str(Path(sys.executable).with_name("pulse"))
DATA_TABLES = ["raw.events", "marts.fct_events", "marts.dim_users", "marts.rpt_active_users_daily"]
META_QUERIES = {
    "audit": "select load_id, table_name, batch_date, status, rows_loaded, manifest_checksum "
             "from pulse_meta.load_audit",
    "published": "select batch_date, load_id, rows_published from pulse_meta.published_batches",
}


# -- helpers ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("orchestration") / "raw"
    generate(out, DAY1, len(DAYS), users=60, seed=7, fault_rate=0.01, progress=False)
    return out


def pulse_env(target: Target, work: Path, **extra: str) -> dict[str, str]:
    pythonpath = os.pathsep.join(p for p in (str(HOOKS), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, **target.dbt_env(), "PULSE_STATE_DIR": str(work / "state"),
            "PULSE_ALERT_LOG": str(work / "alerts.log"), "PULSE_RETRY_BASE_SECONDS": "0.1",
            "PULSE_PAUSE_DIR": str(work / "pause"), "PYTHONPATH": pythonpath, **extra}


def run_args(raw: Path, work: Path, start: date, end: date, *more: str) -> list[str]:
    """These tests count alerts from the pipeline itself: the data monitors (which alert on
    old generated dates, e.g. publish deadlines) stay off unless a test turns them on."""
    return [PULSE, "run", "--raw", str(raw), "--lake", str(work / "lake"), "--from", start.isoformat(),
            "--to", end.isoformat(), "--runner", "inline", "--log-dir", str(work / "logs"),
            "--monitor", "none", *more]


def pulse_run(raw: Path, work: Path, env: dict, start: date = DAYS[0], end: date = DAYS[-1],
              *more: str) -> subprocess.CompletedProcess:
    return subprocess.run(run_args(raw, work, start, end, *more), env=env, capture_output=True,
                          text=True, timeout=300)


def start_paused(raw: Path, work: Path, env: dict, point: str, *more: str) -> subprocess.Popen:
    """Start `pulse run` that stops at a pause point; return once it is there."""
    (work / "pause").mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(run_args(raw, work, DAYS[0], DAYS[-1], *more),
                            env={**env, "PULSE_PAUSE_AT": point}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    reached = work / "pause" / (point.replace(":", "_") + ".reached")
    deadline = time.monotonic() + 120
    while not reached.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            out = proc.stdout.read() if proc.poll() is not None else ""
            proc.kill()
            pytest.fail(f"pulse run never reached {point} (exit {proc.returncode}):\n{out[-3000:]}")
        time.sleep(0.05)
    return proc


def sigkill(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)  # the run, its Luigi workers and dbt
    proc.wait(timeout=30)
    proc.stdout.close()
    deadline = time.monotonic() + 10  # orphaned children (dbt) die a moment later
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)


def query(target: Target, sql: str) -> list[tuple]:
    """`fetch`, retried while the DuckDB file is locked."""
    for attempt in range(50):  # a killed dbt may hold the DuckDB file for a moment (or a zombie)
        try:
            return fetch(target, sql)
        except Exception as exc:
            if "lock" not in str(exc).lower() or attempt == 49:
                raise
            time.sleep(0.1)


def checksums(target: Target) -> dict[str, str]:
    """An order-independent checksum of every data table and of the load/publish records."""
    sqls = {t: f"select * from {t}" for t in DATA_TABLES} | META_QUERIES
    return {name: hashlib.sha256(repr(sorted(map(repr, query(target, sql)))).encode()).hexdigest()
            for name, sql in sqls.items()}


def batch_counts(target: Target) -> dict[str, int]:
    return {str(b): n for b, n in query(target, "select batch_date, count(*) from raw.events group by 1")}


def published_dates(target: Target) -> list[str]:
    return [str(r[0]) for r in query(target, "select batch_date from pulse_meta.published_batches")]


def manifest_rows(work: Path) -> dict[str, int]:
    lake = open_lake(work / "lake")
    return {d.isoformat(): read_manifest(lake, "events", d.isoformat()).rows for d in DAYS}


def alerts(work: Path) -> list[dict]:
    path = work / "alerts.log"
    return [orjson.loads(line) for line in path.read_bytes().splitlines()] if path.exists() else []


def run_id_of(proc: subprocess.CompletedProcess) -> str:
    line = next(line for line in proc.stdout.splitlines() if line.startswith("run "))
    return line.split()[1].rstrip(":")


def task_runs(target: Target, run_id: str | None = None) -> list[tuple]:
    where = f" where run_id = '{run_id}'" if run_id else ""
    return query(target, f"select task_family, task_id, status from pulse_meta.pipeline_task_runs{where}")


def table_exists(target: Target, schema: str, table: str) -> bool:
    return bool(query(target, "select count(*) from information_schema.tables where "
                              f"table_schema = '{schema}' and table_name = '{table}'")[0][0])


def run_results(target: Target, work: Path) -> dict[str, str]:
    with mock.patch.dict(os.environ, {"PULSE_STATE_DIR": str(work / "state")}):
        path = target.state_dir() / "dbt-target" / "run_results.json"
    return {r["unique_id"]: r["status"] for r in orjson.loads(path.read_bytes())["results"]}


@pytest.fixture(scope="module")
def reference(raw, tmp_path_factory, pg_server):
    """Checksums of an uninterrupted run, per dialect (built on first use)."""
    cache: dict[str, dict[str, str]] = {}
    databases: list[str] = []

    def get(dialect: str) -> dict[str, str]:
        if dialect not in cache:
            work = tmp_path_factory.mktemp(f"reference-{dialect}")
            if dialect == "duckdb":
                target = Target("duckdb", duckdb_path=str(work / "reference.duckdb"))
            else:
                name = f"pulse_test_{uuid.uuid4().hex[:12]}"
                _admin(pg_server, f'create database "{name}"')
                databases.append(name)
                target = Target("postgres", host=pg_server.host, port=pg_server.port,
                                user=pg_server.user, dbname=name)
            proc = pulse_run(raw, work, pulse_env(target, work))
            assert proc.returncode == 0, proc.stdout + proc.stderr
            cache[dialect] = checksums(target)
        return cache[dialect]

    yield get
    for name in databases:
        _admin(pg_server, f'drop database if exists "{name}" with (force)')


def _admin(server: Target, sql: str) -> None:
    conn = psycopg2.connect(host=server.host, port=server.port, user=server.user, dbname="postgres",
                            password=os.environ.get("PULSE_PG_PASSWORD"))
    conn.autocommit = True
    try:
        conn.cursor().execute(sql)
    finally:
        conn.close()


# -- the reliability tests ----------------------------------------------------------------
def test_sigkill_during_load_and_during_dbt_then_rerun_equals_uninterrupted(raw, tmp_path, any_target,
                                                                           reference):
    env = pulse_env(any_target, tmp_path)
    second = DAYS[1].isoformat()

    # killed inside the load transaction of the second date
    sigkill(start_paused(raw, tmp_path, env, f"load:{second}"))
    counts = batch_counts(any_target)
    assert second not in counts, "a killed load must leave no rows of its batch"
    rows = manifest_rows(tmp_path) if len(list((tmp_path / "lake").rglob("_manifest.json"))) == 3 else None
    if rows:
        assert all(counts[b] == rows[b] for b in counts), "loaded partitions are whole"
    assert published_dates(any_target) == []

    # rerun, killed while dbt is frozen right after building fct_events
    sigkill(start_paused(raw, tmp_path, env, "dbt:fct_events"))
    assert batch_counts(any_target) == manifest_rows(tmp_path), "all loads done, none twice"
    assert table_exists(any_target, "marts", "fct_events")
    assert published_dates(any_target) == [], "a killed transform publishes nothing"
    (transform_state,) = query(any_target, "select count(*) from pulse_meta.pipeline_run_state "
                                           "where stage = 'transform' and status = 'done'")[0]
    assert transform_state == 0

    # rerun to the end: identical to the uninterrupted run
    final = pulse_run(raw, tmp_path, env)
    assert final.returncode == 0, final.stdout + final.stderr
    assert checksums(any_target) == reference(any_target.name)
    (raw_rows, distinct_rows) = query(any_target, "select count(*), count(distinct "
                                      + ("batch_date || event_id" if any_target.name == "postgres"
                                         else "concat(batch_date, event_id)") + ") from raw.events")[0]
    assert raw_rows == distinct_rows == sum(manifest_rows(tmp_path).values())
    assert sorted(published_dates(any_target)) == [d.isoformat() for d in DAYS]
    # each ingest and load ran to completion exactly once over the three runs; the last run
    # only redid the transform (the killed one is marked abandoned) and what follows it
    done = [(f, t) for f, t, s in task_runs(any_target) if s == "done"]
    for family in ("IngestTask", "LoadTask", "TransformTask"):
        ids = [t for f, t in done if f == family]
        expected = {"TransformTask": 1, "IngestTask": len(DAYS), "LoadTask": len(DAYS) * TABLES}
        assert len(ids) == len(set(ids)) == expected[family], family
    last = {f for f, _, _ in task_runs(any_target, run_id_of(final))}
    assert last == {"TransformTask", "CheckTask", "PublishTask"}
    statuses = {s for f, _, s in task_runs(any_target) if f == "TransformTask"}
    assert statuses == {"done", "abandoned"}
    assert alerts(tmp_path) == [], "a killed run cannot alert; the rerun succeeded"


def copy_project(dest: Path) -> Path:
    for name in ("models", "macros", "seeds", "analyses", "tests/dbt"):
        shutil.copytree(REPO / name, dest / name)
    for name in ("dbt_project.yml", "profiles.yml.example"):
        shutil.copy(REPO / name, dest / name)
    return dest


def test_failing_model_blocks_downstream_and_publish_then_rerun_redoes_only_that(raw, tmp_path, any_target,
                                                                                reference):
    project = copy_project(tmp_path / "project")
    model = project / "models" / "intermediate" / "activity" / "int_user_activity_daily.sql"
    good = model.read_text()
    model.write_text(good.replace("select", "select no_such_column,", 1))
    env = pulse_env(any_target, tmp_path, PULSE_PROJECT_DIR=str(project))

    failed = pulse_run(raw, tmp_path, env)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    first = run_results(any_target, tmp_path)
    assert first["model.pulse.int_user_activity_daily"] == "error"
    assert first["model.pulse.rpt_active_users_daily"] == "skipped"
    assert first["model.pulse.fct_events"] == "success"
    assert not table_exists(any_target, "marts", "rpt_active_users_daily"), "downstream not built"
    assert published_dates(any_target) == []
    (alert,) = alerts(tmp_path)
    assert "TransformTask" in alert["subject"] and "TransformTask" in alert["body"]
    assert "int_user_activity_daily" in alert["body"], "the alert carries the end of the dbt log"
    assert "full log: " in alert["body"] and len(alert["body"]) < 6000
    log_file = Path(alert["body"].rsplit("full log: ", 1)[1].strip())
    assert "no_such_column" in log_file.read_text()

    model.write_text(good)
    fixed = pulse_run(raw, tmp_path, env)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    redo = {uid for uid, status in first.items() if status in ("error", "fail", "skipped")}
    assert set(run_results(any_target, tmp_path)) == redo, "dbt retry runs only the failed and skipped nodes"
    assert {f for f, _, _ in task_runs(any_target, run_id_of(fixed))} == \
        {"TransformTask", "CheckTask", "PublishTask"}
    assert len(alerts(tmp_path)) == 1
    assert checksums(any_target) == reference(any_target.name)


def test_missing_raw_input_exits_4_and_publishes_nothing(raw, tmp_path, any_target):
    env = pulse_env(any_target, tmp_path)
    missing = DAYS[-1] + timedelta(days=1)
    started = time.monotonic()
    proc = pulse_run(raw, tmp_path, env, DAYS[0], missing, "--wait-for-input", "1")
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert time.monotonic() - started >= 1, "waited for the input first"
    assert "missing raw input" in proc.stdout
    assert published_dates(any_target) == []
    assert not table_exists(any_target, "marts", "rpt_active_users_daily"), "no zeros built"
    assert read_manifest(open_lake(tmp_path / "lake"), "events", missing.isoformat()) is None
    (alert,) = alerts(tmp_path)
    assert missing.isoformat() in alert["subject"]


def test_two_concurrent_runs_for_one_date_exactly_one_proceeds(raw, tmp_path, any_target):
    env = pulse_env(any_target, tmp_path)
    first = start_paused(raw, tmp_path, env, f"ingest:{DAYS[0].isoformat()}", "--skip-dbt")
    try:
        second = pulse_run(raw, tmp_path, env, DAYS[0], DAYS[0], "--skip-dbt")
        assert second.returncode == 3, second.stdout + second.stderr
        assert "already running" in second.stdout
    finally:
        (tmp_path / "pause" / f"ingest_{DAYS[0].isoformat()}.release").touch()
    out, _ = first.communicate(timeout=120)
    assert first.returncode == 0, out
    ingests = [t for f, t, s in task_runs(any_target) if f == "IngestTask" and s == "done"]
    assert len(ingests) == len(set(ingests)) == len(DAYS)
    assert batch_counts(any_target) == manifest_rows(tmp_path)


# -- central scheduler --------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _api(port: int, method: str, data: dict) -> dict:
    url = f"http://127.0.0.1:{port}/api/{method}?data=" + urllib.request.quote(json.dumps(data))
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())["response"]


@pytest.fixture
def luigid(tmp_path) -> int:
    port = _free_port()
    (tmp_path / "luigid").mkdir()
    proc = subprocess.Popen([str(Path(sys.executable).with_name("luigid")), "--address", "127.0.0.1",
                             "--port", str(port), "--logdir", str(tmp_path / "luigid"),
                             "--state-path", str(tmp_path / "luigid" / "state.pickle")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _api(port, "task_list", {"status": "DONE", "upstream_status": "", "search": ""})
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("luigid did not start")
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_backfill_of_14_dates_through_luigid_and_status_shows_stage_timings(tmp_path, duckdb_target, luigid):
    raw = tmp_path / "raw"
    days = 14
    generate(raw, DAY1, days, users=25, seed=11, fault_rate=0.0, progress=False)
    env = pulse_env(duckdb_target, tmp_path)
    proc = pulse_run(raw, tmp_path, env, DAY1, DAY1 + timedelta(days=days - 1),
                     "--scheduler-url", f"http://127.0.0.1:{luigid}/", "--workers", "2",
                     "--monitor", "last")
    assert proc.returncode == 0, proc.stdout + proc.stderr

    done = _api(luigid, "task_list", {"status": "DONE", "upstream_status": "", "search": ""})
    families: dict[str, int] = {}
    for task in done.values():
        families[task["name"]] = families.get(task["name"], 0) + 1
    assert families == {"RawBatch": days, "IngestTask": days, "LoadTask": days * TABLES, "TransformTask": 1,
                        "CheckTask": days, "PublishTask": days, "MonitorTask": 1, "PulseRun": 1}
    assert _api(luigid, "task_list", {"status": "FAILED", "upstream_status": "", "search": ""}) == {}
    with urllib.request.urlopen(f"http://127.0.0.1:{luigid}/static/visualiser/index.html") as page:
        assert page.status == 200
    assert len(published_dates(duckdb_target)) == days

    status = subprocess.run([PULSE, "status", "--runs", "3"], env=env, capture_output=True, text=True,
                            timeout=60)
    assert status.returncode == 0, status.stderr
    timing_lines = status.stdout.split("time per stage")[1].splitlines()
    header, row = timing_lines[1].split(), timing_lines[2].split()
    assert header == ["run_id", "ingest", "load", "transform", "check", "publish", "monitor", "total"]
    assert row[0] == run_id_of(proc)
    assert all(cell.endswith("s") for cell in row[1:8]) and float(row[3][:-1]) > 0, row
    monitored = fetch(duckdb_target, "select distinct monitor_date, monitor "
                                     "from pulse_meta.monitor_results")
    assert {d for d, _ in monitored} == {DAY1 + timedelta(days=days - 1)}, "monitors ran for the newest date"
    assert {"publish_deadline", "volume_anomaly", "freshness"} <= {m for _, m in monitored}
    assert "nothing" in status.stdout.split("incomplete:")[1].split("published:")[0]


# -- recovery does only the work that is left ---------------------------------------------
def ingest_calls(work: Path) -> list[list[str]]:
    """The dates of every window ingest the runs started (traced by tests/hooks)."""
    path = work / "pause" / "ingest-calls.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_disk_full_or_kill_during_a_window_ingest_then_rerun_ingests_only_the_dates_left(
        raw, tmp_path, any_target):
    env = pulse_env(any_target, tmp_path, PULSE_TRACE_INGEST="1")
    (tmp_path / "pause").mkdir(parents=True)
    days = [d.isoformat() for d in DAYS]
    lake = open_lake(tmp_path / "lake")

    # the disk fills up while the window ingest publishes the second date, and stays full
    full = pulse_run(raw, tmp_path, {**env, "PULSE_FAIL_AT": f"publish:{days[1]}"}, DAYS[0],
                     DAYS[-1], "--skip-dbt")
    assert full.returncode == 1, full.stdout + full.stderr
    assert "No space left on device" in full.stdout
    assert ingest_calls(tmp_path) == [days], \
        "one window ingest per run: the other dates' tasks report its error instead of redoing it"
    assert [read_manifest(lake, "events", d) is not None for d in days] == [True, False, False]
    assert batch_counts(any_target) == {days[0]: read_manifest(lake, "events", days[0]).rows}, \
        "the date the ingest finished goes on to its load"

    # the rerun is killed while publishing the third date
    sigkill(start_paused(raw, tmp_path, env, f"publish:{days[2]}", "--skip-dbt"))
    assert ingest_calls(tmp_path)[1:] == [days[1:]], "the rerun ingests only the two dates left"

    final = pulse_run(raw, tmp_path, env, DAYS[0], DAYS[-1], "--skip-dbt")
    assert final.returncode == 0, final.stdout + final.stderr
    assert ingest_calls(tmp_path)[2:] == [days[2:]], "and the next one only the last date"
    assert batch_counts(any_target) == manifest_rows(tmp_path)

    # a log table's manifest deleted from a loaded (unpublished) date: re-ingested, no TypeError
    manifest = tmp_path / "lake" / "perf_timings" / f"batch_date={days[0]}" / "_manifest.json"
    manifest.unlink()
    again = pulse_run(raw, tmp_path, env, DAYS[0], DAYS[-1], "--skip-dbt")
    assert again.returncode == 0, again.stdout + again.stderr
    assert manifest.exists() and ingest_calls(tmp_path)[3:] == [days[:1]]


# -- the lake is verified, and repaired from raw ------------------------------------------
def marts_snapshot(target: Target) -> dict[str, list[str]]:
    """Every data table's rows without load ids (a repair reloads, so load ids move on)."""
    out = {}
    for table in DATA_TABLES:
        rows = fetch_dicts(target, f"select * from {table}")
        out[table] = sorted(repr(sorted((k, v) for k, v in r.items() if "load_id" not in k))
                            for r in rows)
    return out


def flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def edit_one_value(path: Path) -> None:
    """Rewrite a gzip CSV part as valid gzip with one value changed (same rows, same columns)."""
    import gzip

    header, first, *rest = gzip.decompress(path.read_bytes()).decode().split("\n")
    changed = first.replace('"', "'", 2) if '"' in first else first[:-1] + "9"
    path.write_bytes(gzip.compress("\n".join([header, changed, *rest]).encode(), mtime=0))


def pulse_verify(work: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([PULSE, "verify", "--from", DAYS[0].isoformat(), "--to", DAYS[-1].isoformat(),
                           "--lake", str(work / "lake")], env=env, capture_output=True, text=True,
                          timeout=120)


def test_damaged_lake_is_found_by_verify_and_repaired_from_raw_by_the_next_run(raw, tmp_path, any_target):
    raw = Path(shutil.copytree(raw, tmp_path / "raw"))  # this test removes a raw folder
    env = pulse_env(any_target, tmp_path, PULSE_TRACE_INGEST="1")
    (tmp_path / "pause").mkdir(parents=True)
    first = pulse_run(raw, tmp_path, env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert pulse_verify(tmp_path, env).returncode == 0
    before, counts = marts_snapshot(any_target), batch_counts(any_target)
    d0, d1, d2 = (d.isoformat() for d in DAYS)
    part = {d: tmp_path / "lake" / "events" / f"batch_date={d}" for d in (d0, d1, d2)}
    (flipped,) = part[d0].glob("part-*.csv.gz")
    (edited,) = part[d1].glob("part-*.csv.gz")
    flip_byte(flipped)
    edit_one_value(edited)
    log_manifest = tmp_path / "lake" / "experiment_exposures" / f"batch_date={d1}" / "_manifest.json"
    log_manifest.unlink()
    (part[d2] / "_manifest.json").unlink()
    temps = [part[d0] / f".{flipped.name}.tmp-4242", part[d0] / "._manifest.json.tmp-4242"]
    for temp in temps:
        temp.write_bytes(b"left by a crash")

    verify = pulse_verify(tmp_path, env)
    assert verify.returncode == 1, verify.stdout + verify.stderr
    for name in (flipped.name, edited.name, f"experiment_exposures/batch_date={d1}/_manifest.json",
                 f"events/batch_date={d2}/_manifest.json"):
        assert name in verify.stdout, name
    assert "tmp-4242" not in verify.stdout and "Traceback" not in verify.stderr

    repaired = pulse_run(raw, tmp_path, env)
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert ingest_calls(tmp_path)[1:] == [[d0, d1, d2]], "the damaged dates, ingested once"
    assert pulse_verify(tmp_path, env).returncode == 0
    assert not any(t.exists() for t in temps), "temp files of interrupted writes are removed"
    assert batch_counts(any_target) == counts == manifest_rows(tmp_path)
    assert marts_snapshot(any_target) == before, "repaired from raw: the same data as before"
    assert sorted(published_dates(any_target)) == [d0, d1, d2]

    # once raw is gone, a damaged date cannot be repaired: the run says so and status shows it
    (part[d1] / "_manifest.json").unlink()
    shutil.rmtree(raw / d1)
    gone = pulse_run(raw, tmp_path, env)
    assert gone.returncode == 4, gone.stdout + gone.stderr
    assert f"missing raw input for {d1}" in gone.stdout
    assert sorted(published_dates(any_target)) == [d0, d2]
    status = subprocess.run([PULSE, "status"], env=env, capture_output=True, text=True, timeout=60)
    incomplete = status.stdout.split("incomplete:")[1].split("published:")[0]
    assert f"unpublished batch {d1}" in incomplete and "failed verification" in incomplete
    assert f"events/batch_date={d1}/_manifest.json is missing" in incomplete
