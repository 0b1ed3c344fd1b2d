"""`pulse run`: lock the batch dates, build the Luigi graph for the window, run it, and turn
the outcome into one alert per failed task and an exit code cron can act on.

Exit codes: 0 ok, 1 failed, 3 already running (another run holds a date), 4 missing raw input.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import luigi
import luigi.configuration
import orjson
from luigi.execution_summary import LuigiStatusCode

from ingest.lake import MANIFEST, open_lake, partition_dir
from ingest.lake.files import digest_cache
from ingest.run import IngestOptions
from monitor.alerts import Alert, send_alert
from pipeline.progress import PlainFormatter, PlanningFactory
from pipeline.retry import retry_call
from pipeline.settings import RunSettings
from pipeline.tasks import PulseRun
from pipeline.verify import repair
from warehouse import meta
from warehouse.locks import AlreadyRunning, connection, held
from warehouse.redact import redact, redact_handler
from warehouse.target import Target

log = logging.getLogger("pulse.run")

EXIT_OK, EXIT_FAILED, EXIT_ALREADY_RUNNING, EXIT_MISSING_INPUT = 0, 1, 3, 4
LOG_TAIL_LINES = 40
LOG_TAIL_CHARS = 4000  # an alert carries at most this much of the log; the path points to the rest


@dataclass
class RunRequest:
    """What the caller (`pulse run`, a test, a benchmark) asks for; `settings` turns it into
    the `RunSettings` every task of the run shares."""

    raw: str
    lake: str
    start: date
    end: date
    target: Target
    options: IngestOptions = IngestOptions()
    full_refresh: bool = False
    skip_dbt: bool = False
    # tables whose lake partitions of the window are derived again from raw (`--reingest`)
    reingest: tuple[str, ...] = ()
    workers: int = 1
    scheduler_url: str | None = None  # None: Luigi's local scheduler
    wait_for_input_seconds: float = 0.0
    task_timeout_seconds: float = 3600.0
    dbt_timeout_seconds: float = 3 * 3600.0
    log_dir: str = "data/logs"
    monitor: str = "last"  # run the monitors for the newest date after publishing; or "none"
    lock_wait_seconds: float = 600.0  # how long a task queues for a single-writer warehouse

    def settings(self, run_id: str, run_dir: Path) -> RunSettings:
        """The run's settings: paths made absolute, the window validated, once."""
        if self.workers < 1:  # Luigi would report "already running" with nothing running
            raise ValueError(f"workers must be at least 1, not {self.workers}")
        lake = str(self.lake)
        return RunSettings(
            run_id=run_id, target=self.target, raw=str(Path(self.raw).resolve()),
            lake=lake if lake.startswith("s3://") else str(Path(lake).resolve()),
            start=self.start, end=self.end, ingest=self.options, full_refresh=self.full_refresh,
            skip_dbt=self.skip_dbt, monitor=self.monitor,
            task_timeout_seconds=float(self.task_timeout_seconds),
            dbt_timeout_seconds=float(self.dbt_timeout_seconds),
            failures_dir=str(run_dir / "failures"), lock_wait_seconds=float(self.lock_wait_seconds))


@dataclass
class RunOutcome:
    exit_code: int
    run_id: str
    log_file: Path | None = None
    failures: list[dict] = field(default_factory=list)
    missing_dates: list[str] = field(default_factory=list)
    message: str = ""


def new_run_id() -> str:
    return f"{meta.utcnow():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


def log_tail(path: Path | None, lines: int = LOG_TAIL_LINES, chars: int = LOG_TAIL_CHARS) -> str:
    """The last lines of a log, cut to a bounded size (from the front, so the end survives)."""
    if path is None or not path.exists():
        return ""
    text = "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return text if len(text) <= chars else "[...]" + text[-chars:]


def missing_raw(raw: str, dates: list[date]) -> list[str]:
    return [d.isoformat() for d in dates if not (Path(raw) / d.isoformat()).is_dir()]


def wait_for_input(raw: str, dates: list[date], seconds: float) -> list[str]:
    """Poll for the raw folders up to `seconds`; return the dates still missing."""
    stop = time.monotonic() + seconds
    missing = missing_raw(raw, dates)
    while missing and time.monotonic() < stop:
        time.sleep(min(5.0, max(0.1, stop - time.monotonic())))
        missing = missing_raw(raw, dates)
    return missing


def _attach_log(path: Path) -> logging.Handler:
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = redact_handler(logging.FileHandler(path))
    handler.setFormatter(PlainFormatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    if logging.getLogger().level > logging.INFO or logging.getLogger().level == logging.NOTSET:
        logging.getLogger().setLevel(logging.INFO)
    return handler


def _alert_failure(failure: dict, outcome: RunOutcome) -> None:
    tail = failure.get("output_tail") or log_tail(outcome.log_file)
    if len(tail) > LOG_TAIL_CHARS:
        tail = "[...]" + tail[-LOG_TAIL_CHARS:]
    params = ", ".join(f"{k}={v}" for k, v in failure["params"].items() if k != "warehouse")
    body = (f"task: {failure['task_family']} ({failure['task_id']})\n"
            f"parameters: {params}\nwarehouse: {failure['params'].get('warehouse')}\n"
            f"run: {outcome.run_id}\nerror: {failure['error_type']}: {failure['error'][:1000]}\n\n"
            f"last log lines:\n{tail}\n\nfull log: {outcome.log_file}")
    send_alert(Alert(key=f"pulse_task_failed:{failure['task_id']}",
                     subject=f"pulse run failed: {failure['task_family']} {params}",
                     body=body, severity="warning" if failure["missing_input"] else "error",
                     warehouse=failure["params"].get("warehouse") or ""))


def _alert_missing(dates: list[str], outcome: RunOutcome, raw: str, warehouse: str) -> None:
    send_alert(Alert(key=f"pulse_missing_input:{','.join(dates)}",
                     subject=f"pulse run: missing raw input for {', '.join(dates)}",
                     body=f"no raw folder under {raw} for {', '.join(dates)}; nothing was "
                          f"published for those dates.\nrun: {outcome.run_id}\nfull log: {outcome.log_file}",
                     severity="warning", warehouse=warehouse))


def _send(alert_fn, *args) -> None:
    try:
        alert_fn(*args)
    except Exception:
        log.exception("ALERT DELIVERY FAILED")  # still loud on stderr; the exit code says failed


def run_window(req: RunRequest) -> RunOutcome:
    """Run the graph for [start, end]; never raises for task failures (see the outcome)."""
    run_id = new_run_id()
    run_dir = Path(req.log_dir).resolve() / run_id
    req.settings(run_id, run_dir)  # a bad request (inverted window...) raises here: no log, no alert
    outcome = RunOutcome(EXIT_OK, run_id, run_dir / "run.log")
    handler = _attach_log(outcome.log_file)
    try:
        return _run(req, run_dir, outcome)
    except Exception as exc:  # outside any task (warehouse down while locking, bad settings...)
        log.exception("run %s could not run its graph", run_id)
        outcome.exit_code = EXIT_FAILED
        outcome.message = redact(f"failed: {type(exc).__name__}: {exc}")
        _send(_alert_failure, {"task_family": "pulse run", "task_id": f"run:{run_id}",
                               "params": {"from": req.start.isoformat(), "to": req.end.isoformat(),
                                          "warehouse": req.target.describe()},
                               "error_type": type(exc).__name__, "error": redact(exc),
                               "missing_input": False}, outcome)
        return outcome
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()


def setup_warehouse(target: Target, wait_seconds: float = 600.0) -> None:
    """The run's set-up step: pulse_meta and the raw tables exist before any task runs."""
    from ingest.load.loader import create_raw_tables

    with connection(target, wait_seconds) as client:
        meta.setup(client)
        create_raw_tables(client)


def verify_window(settings: RunSettings) -> list[str]:
    """The run's verify step: published (or loaded) dates of the window whose lake,
    manifests, load audit or row counts disagree are made incomplete again
    (`pipeline.verify.repair`), so this run's graph redoes them. Returns those dates."""
    with connection(settings.target, settings.lock_wait_seconds) as client:
        withdrawn = repair(client, open_lake(settings.lake), settings.dates, settings.run_id)
    return [v.batch_date for v in withdrawn]


def withdraw_for_reingest(settings: RunSettings, tables: tuple[str, ...]) -> list[str]:
    """`pulse run --reingest`: remove the lake manifests of `tables` for the window's dates,
    so the verify step makes those dates incomplete and the graph ingests them again from
    raw, reloads what changed and rebuilds. Data files stay until the new manifest replaces
    them (publish_partition). Returns the partitions withdrawn."""
    lake = open_lake(settings.lake)
    withdrawn = []
    for day in settings.dates:
        for table in tables:
            rel = f"{partition_dir(table, day.isoformat())}/{MANIFEST}"
            if lake.read_bytes(rel) is not None:
                lake.delete(rel)
                withdrawn.append(partition_dir(table, day.isoformat()))
    if withdrawn:
        log.info("--reingest: withdrew %d lake partition(s) to derive again from raw: %s",
                 len(withdrawn), ", ".join(withdrawn))
    return withdrawn


def _run(req: RunRequest, run_dir: Path, outcome: RunOutcome) -> RunOutcome:
    settings = req.settings(outcome.run_id, run_dir)
    dates = list(settings.dates)
    log.info("run %s: %s..%s into %s (log %s)", outcome.run_id, req.start, req.end,
             req.target.describe(), outcome.log_file, extra={"pulse_progress": {
                 "kind": "say", "text": f"pulse run {req.start}..{req.end} into "
                                        f"{req.target.describe()} (run {outcome.run_id})"}})
    missing = wait_for_input(req.raw, dates, req.wait_for_input_seconds)
    if req.reingest and missing:  # never withdraw a partition that raw cannot give back
        outcome.exit_code, outcome.missing_dates = EXIT_MISSING_INPUT, missing
        outcome.message = (f"--reingest needs the raw folder of every date: missing "
                           f"{', '.join(missing)} under {req.raw}; nothing was changed")
        log.error("run %s %s", outcome.run_id, outcome.message)
        return outcome
    try:
        with held(req.target, [f"batch:{d.isoformat()}" for d in dates]):
            retry_call(lambda: setup_warehouse(req.target, settings.lock_wait_seconds),
                       what="set up the warehouse")
            if req.reingest:
                withdraw_for_reingest(settings, req.reingest)
            retry_call(lambda: verify_window(settings), what="verify the published dates")
            result = _build(req, settings)
    except AlreadyRunning as exc:
        outcome.exit_code, outcome.message = EXIT_ALREADY_RUNNING, f"already running: {exc}"
        log.error("%s", outcome.message)
        return outcome
    for path in sorted((run_dir / "failures").glob("*.json")):
        outcome.failures.append(orjson.loads(path.read_bytes()))
    outcome.missing_dates = missing_raw(req.raw, dates) if missing or \
        result.status == LuigiStatusCode.MISSING_EXT else []
    for failure in outcome.failures:
        _send(_alert_failure, failure, outcome)
    if outcome.missing_dates and not any(f["missing_input"] for f in outcome.failures):
        _send(_alert_missing, outcome.missing_dates, outcome, req.raw, req.target.describe())
    if outcome.missing_dates or any(f["missing_input"] for f in outcome.failures):
        outcome.exit_code = EXIT_MISSING_INPUT
        outcome.message = f"missing raw input for {', '.join(outcome.missing_dates) or 'a batch'}"
    elif outcome.failures or result.status in (LuigiStatusCode.FAILED,
                                               LuigiStatusCode.FAILED_AND_SCHEDULING_FAILED,
                                               LuigiStatusCode.SCHEDULING_FAILED):
        outcome.exit_code = EXIT_FAILED
        outcome.message = "failed: " + ("; ".join(f"{f['task_id']}: {f['error_type']}: "
                                                  f"{f['error'].splitlines()[0][:200] if f['error'] else ''}"
                                                  for f in outcome.failures) or result.one_line_summary)
    elif result.status == LuigiStatusCode.NOT_RUN:
        outcome.exit_code = EXIT_ALREADY_RUNNING
        outcome.message = "already running: the scheduler gave these tasks to another worker"
    outcome.message = redact(outcome.message)
    if outcome.exit_code:
        log.error("run %s %s", outcome.run_id, outcome.message)
    return outcome


def _build(req: RunRequest, settings: RunSettings):
    config = luigi.configuration.get_config()
    config.set("core", "no_configure_logging", "true")
    config.set("worker", "check_unfulfilled_deps", "true")
    # an idle worker polls for newly runnable tasks; Luigi's default (1 s + up to 5 s jitter)
    # costs seconds per dependency level on short daily tasks
    config.set("worker", "wait_interval", "0.1")
    config.set("worker", "wait_jitter", "0.2")
    task = PulseRun.of(settings)
    scheduler = {"scheduler_url": req.scheduler_url} if req.scheduler_url else {"local_scheduler": True}
    with digest_cache():  # the graph's completeness checks hash each unchanged file once
        result = luigi.build([task], detailed_summary=True, workers=req.workers, no_lock=True,
                             worker_scheduler_factory=PlanningFactory(), **scheduler)
    log.info("luigi: %s", result.one_line_summary, extra={"pulse_progress": {"kind": "end"}})
    return result
