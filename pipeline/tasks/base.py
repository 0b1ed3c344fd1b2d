"""`PulseTask`, the base of every task: run history, retries with backoff, a deadline and a
failure record the parent process turns into an alert.

Shared run settings travel in the insignificant ``settings`` parameter (one `RunSettings`);
the significant ``warehouse`` parameter (``Target.describe()``, no secrets) keeps task ids
of different warehouses apart on a shared luigid.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import luigi
import orjson

from ingest.run import MissingInput
from pipeline.retry import deadline, retry_call
from pipeline.settings import RunSettings, RunSettingsParameter
from warehouse import meta
from warehouse.clients.base import SqlClient
from warehouse.locks import connection
from warehouse.redact import redact
from warehouse.target import Target

log = logging.getLogger("pulse.tasks")
T = TypeVar("T")


class PulseTask(luigi.Task):
    """Base task. A subclass implements ``execute`` (idempotent: it may be retried) and
    ``complete`` (true only once its own output exists)."""

    warehouse = luigi.Parameter(description="the warehouse, as Target.describe() (no secrets)")
    settings: RunSettings = RunSettingsParameter()
    stage = "task"  # the name `pulse status` groups timings by

    # -- helpers --------------------------------------------------------------------------
    @property
    def target(self) -> Target:
        return self.settings.target

    def batch(self) -> str | None:
        """The batch date this task works on (None for window-wide tasks)."""
        return None

    def base(self) -> dict:
        """The parameters every task of the run shares (to build dependencies)."""
        return {"warehouse": self.warehouse, "settings": self.settings}

    @contextmanager
    def client(self) -> Iterator[SqlClient]:
        """A client of the run's warehouse (queued where it allows one writer)."""
        with connection(self.target, self.settings.lock_wait_seconds) as client:
            yield client

    def read(self, fn: Callable[[SqlClient], T]) -> T:
        """fn(client) on a fresh client (for completeness checks)."""
        with self.client() as client:
            return fn(client)

    def check(self, fn: Callable[[], bool]) -> bool:
        """Run a completeness query with retries for transient errors."""
        return retry_call(fn, what=f"{self.task_id} complete()")

    # -- the run protocol -----------------------------------------------------------------
    def execute(self) -> tuple[int | None, int | None]:
        """Do the work; return (rows_in, rows_out). Must be idempotent: it may be retried."""
        raise NotImplementedError

    def timeout(self) -> float:
        return self.settings.task_timeout_seconds

    def run(self) -> None:
        run = meta.TaskRun(self.settings.run_id, self.task_family, self.task_id, self.batch(),
                           "running", meta.utcnow())
        self._history(lambda client: self._start(client, run))
        log.info("start %s", self.task_id, extra={"pulse_progress": {  # a terminal's passing line
            "kind": "live", "text": f"{self.stage:<10} {self.batch() or 'window'}: running"}})
        try:
            with deadline(self.timeout(), self.task_id):
                rows_in, rows_out = retry_call(self.execute, what=self.task_id)
        except BaseException as exc:
            run.status, run.error = "failed", redact(f"{type(exc).__name__}: {exc}")
            self._finish(run)
            self._record_failure(exc)
            log.info("failed %s after %.1fs", self.task_id, run.duration_seconds,
                     extra={"pulse_progress": self._progress(run)})
            raise
        run.status, run.rows_in, run.rows_out = "done", rows_in, rows_out
        self._finish(run)
        log.info("done %s in %.1fs (rows in %s, out %s)", self.task_id, run.duration_seconds,
                 rows_in, rows_out, extra={"pulse_progress": self._progress(run)})

    def progress_note(self) -> str | None:
        """A few words the terminal's stage line ends with (e.g. dbt's result counts)."""
        return None

    def _progress(self, run: meta.TaskRun) -> dict:
        """The ``task`` progress record of this task's end (pipeline.progress)."""
        return {"kind": "task", "stage": self.stage, "status": run.status, "batch": self.batch(),
                "rows_in": run.rows_in, "rows_out": run.rows_out,
                "seconds": run.duration_seconds, "note": self.progress_note()}

    @staticmethod
    def _start(client: SqlClient, run: meta.TaskRun) -> None:
        """Its 'running' row, and stale rows of killed runs marked abandoned, in one commit."""
        with client.transaction():
            meta.abandon_stale_runs(client, run.task_id, run.run_id)
            meta.record_task_run(client, run)

    def _finish(self, run: meta.TaskRun) -> None:
        run.finished_at = meta.utcnow()
        run.duration_seconds = (run.finished_at - run.started_at).total_seconds()
        self._history(lambda client: meta.finish_task_run(client, run))

    def _history(self, write: Callable[[SqlClient], object]) -> None:
        """Write run history; a history failure is logged loudly but does not mask the task's own result."""
        try:
            retry_call(lambda: self.read(write), what=f"{self.task_id} history")
        except Exception:
            log.exception("could not write run history for %s", self.task_id)

    def _record_failure(self, exc: BaseException) -> None:
        """Leave a failure file for the parent process, which sends the alert and picks the exit code."""
        folder = self.settings.failures_dir
        if not folder:
            return
        path = Path(folder) / f"{self.task_id}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        params = dict(self.to_str_params(only_significant=True))
        record = {"task_family": self.task_family, "task_id": self.task_id, "stage": self.stage,
                  "params": params, "error_type": type(exc).__name__,
                  "error": redact(exc)[:4000], "missing_input": isinstance(exc, MissingInput),
                  "output_tail": redact(getattr(exc, "output_tail", ""))[-3000:],
                  "traceback": redact("".join(traceback.format_exception(exc)))[-3000:]}
        path.write_bytes(orjson.dumps(record, option=orjson.OPT_INDENT_2))


class BatchTask(PulseTask):
    """A task for one batch date of the window."""

    batch_date = luigi.DateParameter()

    def batch(self) -> str:
        return self.batch_date.isoformat()
