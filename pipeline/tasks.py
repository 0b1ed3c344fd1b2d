"""Luigi tasks of pulse's daily pipeline: raw batch → ingest → load → transform → check → publish.

Each task is complete only when its own output exists (lake manifest, load audit row, run
state row, published_batches row), and every output is written after the data it vouches
for, so a crash anywhere leaves the task incomplete and a rerun picks it up. A team adds its
own tasks by subclassing `PulseTask` (implement ``execute`` and ``complete``) and requiring
them from, or adding them beside, these.

Shared run settings travel in the insignificant ``settings`` parameter; the significant
``warehouse`` parameter (``Target.describe()``, no secrets) keeps task ids of different
warehouses apart on a shared luigid.
"""

from __future__ import annotations

import logging
import os
import signal
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import luigi
import orjson
from luigi.parameter import ParameterVisibility

from ingest.contract import Limits
from ingest.lake import BatchFailed, Manifest, open_lake, read_manifest
from ingest.load import copy as load_copy
from ingest.load.loader import load_partition
from ingest.load.warehouse import Target, dialect_cursor
from ingest.run import IngestOptions, MissingInput, ingest
from ingest.tables import all_tables
from pipeline import pausepoints, state
from pipeline.dbt import DbtError, run_dbt
from pipeline.history import TaskRun, abandon_stale_runs, finish_task_run, record_task_run
from pipeline.locks import held, warehouse
from pipeline.retry import TRANSIENT_MESSAGES, deadline, retry_call

log = logging.getLogger("pulse.tasks")
dbt_log = logging.getLogger("pulse.dbt")


class TransientDbtError(ConnectionError):
    """dbt failed because the warehouse was unreachable: worth another attempt."""


class CheckFailed(RuntimeError):
    """A data check found the batch unfit to publish."""


class PulseTask(luigi.Task):
    """Base task: run history, retries with backoff, a deadline, and a failure record."""

    warehouse = luigi.Parameter(description="the warehouse, as Target.describe() (no secrets)")
    settings = luigi.DictParameter(significant=False, default={},
                                   visibility=ParameterVisibility.PRIVATE,
                                   description="run settings shared by every task of a run")
    stage = "task"  # the name `pulse status` groups timings by

    # -- helpers --------------------------------------------------------------------------
    @property
    def target(self) -> Target:
        return Target(**dict(self.settings["target"]))

    @property
    def dialect(self) -> str:
        return self.target.dialect

    def setting(self, name: str, default=None):
        return self.settings.get(name, default)

    def batch(self) -> str | None:
        """The batch date this task works on (None for window-wide tasks)."""
        return None

    def window(self) -> list[date]:
        start = date.fromisoformat(self.settings["window"][0])
        end = date.fromisoformat(self.settings["window"][1])
        return [start + timedelta(days=i) for i in range((end - start).days + 1)]

    def base(self) -> dict:
        return {"warehouse": self.warehouse, "settings": self.settings}

    @contextmanager
    def conn(self) -> Iterator[object]:
        with warehouse(self.target, float(self.setting("lock_wait_seconds", 600))) as conn:
            yield conn

    def query_one(self, sql: str, params: list | None = None) -> tuple:
        with self.conn() as conn:
            cur = dialect_cursor(conn, self.dialect)
            cur.execute(sql, params or [])
            return cur.fetchone()

    def check(self, fn) -> bool:
        """Run a completeness query with retries for transient errors."""
        return retry_call(fn, what=f"{self.task_id} complete()")

    # -- the run protocol -----------------------------------------------------------------
    def execute(self) -> tuple[int | None, int | None]:
        """Do the work; return (rows_in, rows_out). Must be idempotent: it may be retried."""
        raise NotImplementedError

    def timeout(self) -> float:
        return float(self.setting("task_timeout_seconds", 3600))

    def run(self) -> None:
        run = TaskRun(self.setting("run_id", "adhoc"), self.task_family, self.task_id, self.batch(),
                      "running", state.utcnow())
        self._history(lambda conn: (abandon_stale_runs(conn, self.dialect, run.task_id, run.run_id),
                                    record_task_run(conn, self.dialect, run)))
        log.info("start %s", self.task_id)
        try:
            with deadline(self.timeout(), self.task_id):
                rows_in, rows_out = retry_call(self.execute, what=self.task_id)
        except BaseException as exc:
            run.status, run.error = "failed", f"{type(exc).__name__}: {exc}"
            self._finish(run)
            self._record_failure(exc)
            raise
        run.status, run.rows_in, run.rows_out = "done", rows_in, rows_out
        self._finish(run)
        log.info("done %s in %.1fs (rows in %s, out %s)", self.task_id, run.duration_seconds,
                 rows_in, rows_out)

    def _finish(self, run: TaskRun) -> None:
        run.finished_at = state.utcnow()
        run.duration_seconds = (run.finished_at - run.started_at).total_seconds()
        self._history(lambda conn: finish_task_run(conn, self.dialect, run))

    def _history(self, write) -> None:
        """Write run history; a history failure is logged loudly but does not mask the task's own result."""
        try:
            def attempt():
                with self.conn() as conn:
                    write(conn)
            retry_call(attempt, what=f"{self.task_id} history")
        except Exception:
            log.exception("could not write run history for %s", self.task_id)

    def _record_failure(self, exc: BaseException) -> None:
        """Leave a failure file for the parent process, which sends the alert and picks the exit code."""
        folder = self.setting("failures_dir")
        if not folder:
            return
        path = Path(folder) / f"{self.task_id}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        params = {k: v for k, v in self.to_str_params(only_significant=True).items()}
        record = {"task_family": self.task_family, "task_id": self.task_id, "stage": self.stage,
                  "params": params, "error_type": type(exc).__name__,
                  "error": str(exc)[:4000], "missing_input": isinstance(exc, MissingInput),
                  "output_tail": getattr(exc, "output_tail", "")[-3000:],
                  "traceback": "".join(traceback.format_exception(exc))[-3000:]}
        path.write_bytes(orjson.dumps(record, option=orjson.OPT_INDENT_2))


class RawBatch(luigi.ExternalTask):
    """A day's raw folder, written by the app servers' log shipping (outside pulse)."""

    batch_date = luigi.DateParameter()
    raw = luigi.Parameter()

    def output(self) -> luigi.LocalTarget:
        return luigi.LocalTarget(str(Path(self.raw) / self.batch_date.isoformat()))


class IngestTask(PulseTask):
    """Raw folder → validated lake partition; complete once its manifest says ok.

    The first ingest task of a window to run ingests every date of the window that is still
    pending, in ONE job run (start-up and submission are paid once per backfill, not once per
    date); the others then find their partition published and finish at once.
    """

    batch_date = luigi.DateParameter()
    stage = "ingest"

    def batch(self) -> str:
        return self.batch_date.isoformat()

    def requires(self) -> RawBatch:
        return RawBatch(batch_date=self.batch_date, raw=str(Path(self.setting("raw")).resolve()))

    def _ingested(self, day: str) -> bool:
        manifest = read_manifest(open_lake(self.setting("lake")), "events", day)
        return manifest is not None and manifest.ok

    def complete(self) -> bool:
        return self.check(lambda: self._ingested(self.batch()))

    def options(self) -> IngestOptions:
        o = self.setting("ingest")
        return IngestOptions(runner=o["runner"], fmt=o["fmt"],
                             limits=Limits(max_late_days=o["max_late_days"],
                                           max_future_days=o["max_future_days"]),
                             max_quarantine_share=o["max_quarantine_share"],
                             mrjob_conf=o["mrjob_conf"], lake_format=o.get("lake_format", "csv.gz"))

    def execute(self) -> tuple[int, int]:
        pausepoints.pause(f"ingest:{self.batch()}")
        raw = Path(self.setting("raw"))
        with held(self.target, ["ingest-window"], self.timeout()):
            pending = [d for d in self.window()
                       if (raw / d.isoformat()).is_dir() and not self._ingested(d.isoformat())]
            if self.batch_date in pending:
                try:
                    ingest(self.setting("raw"), self.setting("lake"), pending, self.options())
                except BatchFailed:
                    if not self._ingested(self.batch()):
                        raise  # our own batch failed; another date's failure is its task's
        m = read_manifest(open_lake(self.setting("lake")), "events", self.batch())
        if m is None:
            raise MissingInput(f"batch {self.batch()} was not ingested")
        if not m.ok:
            raise BatchFailed(f"batch {self.batch()}: {m.status_reason}")
        return m.input.lines, m.rows


class LoadTask(PulseTask):
    """Lake partition → warehouse raw table in one transaction; complete when the audit row
    of the load (written in that transaction) matches the manifest's checksum.

    Loads of a window run in date order, so load ids (the dbt watermark) are deterministic.
    """

    batch_date = luigi.DateParameter()
    table = luigi.Parameter(default="events")
    stage = "load"

    def batch(self) -> str:
        return self.batch_date.isoformat()

    def requires(self) -> list[luigi.Task]:
        """The ingest of the date, and the load before this one in (date, table) order: one
        chain over every table, so load ids come out the same on every run."""
        deps: list[luigi.Task] = [IngestTask(batch_date=self.batch_date, **self.base())]
        order = [(d, t) for d in self.window() for t in all_tables()]
        position = order.index((self.batch_date, self.table))
        if position:
            day, table = order[position - 1]
            deps.append(LoadTask(batch_date=day, table=table, **self.base()))
        return deps

    def manifest(self) -> Manifest | None:
        return read_manifest(open_lake(self.setting("lake")), self.table, self.batch())

    def complete(self) -> bool:
        def ok():
            manifest = self.manifest()
            if manifest is None:
                return False
            with self.conn() as conn:
                return state.loaded_checksum(conn, self.dialect, self.table, self.batch()) \
                    == manifest.checksum
        return self.check(ok)

    @contextmanager
    def _pause_inside_transaction(self) -> Iterator[None]:
        """Test hook: pause after staging the rows, before the transaction commits."""
        point = f"load:{self.batch()}"
        if not pausepoints.armed(point):
            yield
            return
        real = load_copy.COPIERS[self.dialect]

        def copier(*args, **kwargs):
            real(*args, **kwargs)
            pausepoints.pause(point)

        load_copy.COPIERS[self.dialect] = copier
        try:
            yield
        finally:
            load_copy.COPIERS[self.dialect] = real

    def execute(self) -> tuple[int, int]:
        lake = open_lake(self.setting("lake"))
        manifest = self.manifest()
        with self.conn() as conn:
            if state.loaded_checksum(conn, self.dialect, self.table, self.batch()) != manifest.checksum:
                state.unpublish(conn, self.dialect, self.batch())  # withdraw before replacing
            with self._pause_inside_transaction():
                result = load_partition(conn, self.target, lake, self.table, self.batch())
        return manifest.rows, result.rows


class TransformTask(PulseTask):
    """One dbt invocation for the whole window (dbt builds incrementally from the loads).

    Complete when the last successful dbt run saw every load of the window (its watermark).
    After a failed dbt run, the next attempt is ``dbt retry``: only failed and skipped nodes run.
    """

    window_start = luigi.DateParameter()
    window_end = luigi.DateParameter()
    stage = "transform"
    STATE_KEY = "dbt"

    def requires(self) -> list[luigi.Task]:
        return [LoadTask(batch_date=d, table=t, **self.base())
                for d in self.window() for t in all_tables()]

    def timeout(self) -> float:
        return float(self.setting("dbt_timeout_seconds", 3 * 3600))

    def complete(self) -> bool:
        if self.setting("full_refresh"):
            return False

        def ok():
            with self.conn() as conn:
                done = state.read_state(conn, self.dialect, "transform", self.STATE_KEY)
                needed = state.max_load_id(conn, self.dialect, [d.isoformat() for d in self.window()])
            return done is not None and done.status == "done" and (done.load_id or 0) >= needed
        return self.check(ok)

    def dbt_target_path(self) -> Path:
        return state.state_dir(self.target) / "dbt-target"

    def _retryable(self, previous: state.StageState | None, watermark: int) -> bool:
        """A failed run with no newer loads since, whose run_results show nodes to redo."""
        results = self.dbt_target_path() / "run_results.json"
        if self.setting("full_refresh") or previous is None or previous.status != "failed" \
                or previous.load_id != watermark or not results.exists():
            return False
        statuses = {r.get("status") for r in orjson.loads(results.read_bytes()).get("results", [])}
        return bool(statuses & {"error", "fail", "skipped", "runtime error"})

    def _on_line(self, line: str, proc) -> None:
        dbt_log.info("%s", line)
        for point in pausepoints.armed_points("dbt:"):
            if " OK created " in line and f".{point[4:]} " in line:
                os.kill(proc.pid, signal.SIGSTOP)  # freeze dbt mid-run for the test
                pausepoints.pause(point)
                os.kill(proc.pid, signal.SIGCONT)

    def execute(self) -> tuple[int, int]:
        from pipeline.run import dbt_env

        batches = [d.isoformat() for d in self.window()]
        with held(self.target, ["transform"], self.timeout()):
            with self.conn() as conn:
                watermark = state.max_load_id(conn, self.dialect)
                previous = state.read_state(conn, self.dialect, "transform", self.STATE_KEY)
            if self._retryable(previous, watermark):
                args = ["retry"]
            else:
                args = ["build"] + (["--full-refresh"] if self.setting("full_refresh") else [])
            args += ["--target-path", str(self.dbt_target_path())]
            log.info("dbt %s (watermark load %d)", args[0], watermark)
            # dbt needs a DuckDB file to itself
            exclusive = ["duckdb-connection"] if self.dialect == "duckdb" else []
            try:
                with held(self.target, exclusive, self.timeout()):
                    run_dbt(args, target=self.target.name, env=dbt_env(self.target),
                            on_line=self._on_line)
            except DbtError as exc:
                with self.conn() as conn:
                    state.write_state(conn, self.dialect, "transform", self.STATE_KEY, "failed",
                                      watermark, self.setting("run_id", "adhoc"), f"dbt {args[0]}")
                if any(m in exc.output_tail.lower() for m in TRANSIENT_MESSAGES):
                    raise TransientDbtError(str(exc)) from exc
                raise
            with self.conn() as conn:
                state.write_state(conn, self.dialect, "transform", self.STATE_KEY, "done",
                                  watermark, self.setting("run_id", "adhoc"), f"dbt {args[0]}")
                cur = dialect_cursor(conn, self.dialect)
                marks = ", ".join(["%s"] * len(batches))
                cur.execute(f"select count(*) from raw.events where batch_date in ({marks})", batches)
                rows_in = int(cur.fetchone()[0])
                cur.execute(f"select count(*) from marts.fct_events where batch_date in ({marks})", batches)
                rows_out = int(cur.fetchone()[0])
        return rows_in, rows_out


class CheckTask(PulseTask):
    """Cheap data checks for one batch after dbt (whose build already ran the dbt tests),
    (the data monitors run after publishing: see MonitorTask).

    * the raw partition is whole: raw.events rows == manifest rows
    * every raw event reached fct_events, and fct_events holds each event_id once
    """

    batch_date = luigi.DateParameter()
    stage = "check"

    def batch(self) -> str:
        return self.batch_date.isoformat()

    def requires(self) -> TransformTask:
        start, end = self.window()[0], self.window()[-1]
        return TransformTask(window_start=start, window_end=end, **self.base())

    def complete(self) -> bool:
        def ok():
            with self.conn() as conn:
                done = state.read_state(conn, self.dialect, "check", self.batch())
                current = state.batch_load_id(conn, self.dialect, self.batch())
            return done is not None and done.status == "done" and current is not None \
                and done.load_id == current
        return self.check(ok)

    def execute(self) -> tuple[int, int]:
        day = self.batch()
        manifest = read_manifest(open_lake(self.setting("lake")), "events", day)
        (raw_rows,) = self.query_one("select count(*) from raw.events where batch_date = %s", [day])
        if manifest is None or raw_rows != manifest.rows:
            raise CheckFailed(f"raw.events holds {raw_rows} rows for {day}, the manifest "
                              f"{manifest and manifest.rows}")
        (missing,) = self.query_one(
            "select count(distinct r.event_id) from raw.events as r left join marts.fct_events as f "
            "on r.event_id = f.event_id where r.batch_date = %s and f.event_id is null", [day])
        if missing:
            raise CheckFailed(f"{missing} event_id(s) of batch {day} are missing from fct_events")
        fct_rows, fct_ids = self.query_one(
            "select count(*), count(distinct event_id) from marts.fct_events where batch_date = %s", [day])
        if fct_rows != fct_ids:
            raise CheckFailed(f"fct_events holds {fct_rows - fct_ids} duplicate row(s) for batch {day}")
        with self.conn() as conn:
            load_id = state.batch_load_id(conn, self.dialect, day)
            state.write_state(conn, self.dialect, "check", day, "done", load_id,
                              self.setting("run_id", "adhoc"))
        return int(raw_rows), int(fct_rows)


class PublishTask(PulseTask):
    """Mark the batch published (``pulse_meta.published_batches``) once its checks passed.

    Consumers read only published dates; a reload withdraws the row before touching data.
    """

    batch_date = luigi.DateParameter()
    stage = "publish"

    def batch(self) -> str:
        return self.batch_date.isoformat()

    def requires(self) -> CheckTask:
        return CheckTask(batch_date=self.batch_date, **self.base())

    def complete(self) -> bool:
        def ok():
            with self.conn() as conn:
                current = state.batch_load_id(conn, self.dialect, self.batch())
                done = state.published(conn, self.dialect, self.batch())
            return done is not None and current is not None and done[0] == current
        return self.check(ok)

    def execute(self) -> tuple[int, int]:
        day = self.batch()
        with self.conn() as conn:
            load_id = state.batch_load_id(conn, self.dialect, day)
            cur = dialect_cursor(conn, self.dialect)
            cur.execute("select count(*) from raw.events where batch_date = %s", [day])
            rows = int(cur.fetchone()[0])
            state.publish(conn, self.dialect, day, load_id, rows, self.setting("run_id", "adhoc"))
        return rows, rows


class MonitorTask(PulseTask):
    """Data and pipeline monitors (`monitor.run.run_monitors`) for a published date.

    Findings are stored in pulse_meta.monitor_results and alerted; they do not withdraw the
    date (a real change in the numbers is still the truth). An alert that no sink accepted
    fails the task, so the run exits non-zero: an alert is never lost silently.
    """

    batch_date = luigi.DateParameter()
    stage = "monitor"

    def batch(self) -> str:
        return self.batch_date.isoformat()

    def requires(self) -> PublishTask:
        return PublishTask(batch_date=self.batch_date, **self.base())

    def complete(self) -> bool:
        def ok():
            with self.conn() as conn:
                done = state.read_state(conn, self.dialect, "monitor", self.batch())
                load_id = state.batch_load_id(conn, self.dialect, self.batch())
            return done is not None and done.status == "done" and (done.load_id or 0) >= (load_id or 0)
        return self.check(ok)

    def execute(self) -> tuple[int, int]:
        from dataclasses import replace

        from monitor.config import load_config
        from monitor.run import run_monitors

        # the dbt tests already ran in the transform's `dbt build`
        config = replace(load_config(), lake=self.setting("lake"), run_dbt_tests=False)
        report = run_monitors(self.target, self.batch_date, config=config)
        if report.delivery_errors:
            raise RuntimeError("monitor alerts were not delivered: " + "; ".join(report.delivery_errors))
        with self.conn() as conn:
            state.write_state(conn, self.dialect, "monitor", self.batch(), "done",
                              state.batch_load_id(conn, self.dialect, self.batch()),
                              self.setting("run_id", "adhoc"))
        return len(report.results), len(report.findings)


class PulseRun(luigi.WrapperTask):
    """The whole window: every date published (or only loaded, with skip_dbt)."""

    warehouse = luigi.Parameter()
    settings = luigi.DictParameter(significant=False, default={}, visibility=ParameterVisibility.PRIVATE)
    window_start = luigi.DateParameter()
    window_end = luigi.DateParameter()

    def requires(self) -> list[luigi.Task]:
        base = {"warehouse": self.warehouse, "settings": self.settings}
        days = [self.window_start + timedelta(days=i)
                for i in range((self.window_end - self.window_start).days + 1)]
        if self.settings.get("skip_dbt"):
            return [LoadTask(batch_date=d, table=t, **base) for d in days for t in all_tables()]
        tasks: list[luigi.Task] = [PublishTask(batch_date=d, **base) for d in days]
        if self.settings.get("monitor", "last") == "last":  # the newest date, once published
            tasks.append(MonitorTask(batch_date=days[-1], **base))
        return tasks
