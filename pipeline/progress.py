"""What `pulse run` shows on the terminal: one line per stage with counts, not every log line.

The tasks and the orchestrator only log (the run log keeps everything); three kinds of log
record carry a ``pulse_progress`` dict the terminal's `StageProgress` handler turns into
progress:

- ``plan``: the tasks this run will execute per stage, logged once the graph is scheduled
  (`PlanningWorker`), before the first task starts;
- ``task``: a task finished (``status`` done or failed), with its stage, rows in and out,
  seconds and a short note (dbt's result counts for the transform);
- ``say``: a line for the terminal as it is (the run's first line);
- ``live``: a passing state (dbt's "12 of 140" node) shown in place on a terminal only;
- ``end``: the graph finished: stages that did not finish get their line too.

A stage's line is printed when its last planned task finished. With several Luigi workers
the tasks run in forked processes: their records reach the handler of the `pulse` process
through a pipe, so the counts stay whole.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TextIO

import luigi.interface
import luigi.scheduler
import luigi.worker

log = logging.getLogger("pulse.progress")

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")
STAGE_ORDER = ("ingest", "load", "transform", "check", "publish", "monitor")
# what a stage's rows in / rows out are (a team's own stage: "rows in", "rows out")
ROW_WORDS = {"ingest": ("lines", "rows"), "load": (None, "rows loaded"),
             "transform": ("raw events", "fct_events rows"), "check": (None, "rows checked"),
             "publish": (None, "rows published"), "monitor": ("checks", "findings")}
UNITS = {"ingest": "dates", "load": "partitions", "transform": "dbt runs", "check": "dates",
         "publish": "dates", "monitor": "dates"}
# log lines that say nothing to a user on the terminal (they stay in the run log)
QUIET_MESSAGES = ("No configs specified for",)


def strip_ansi(text: str) -> str:
    """Text without terminal escape codes (colours, cursor moves)."""
    return ANSI_ESCAPE.sub("", text)


class PlainFormatter(logging.Formatter):
    """A log formatter whose output never holds an escape code (for files and alerts)."""

    def format(self, record: logging.LogRecord) -> str:
        return strip_ansi(super().format(record))


class TerminalFormatter(PlainFormatter):
    """The terminal's one line per record: a failed task's exception as its type and message,
    its traceback left to the run log (Luigi logs every task failure with one). The redacting
    filter has already turned exc_info into (redacted) exc_text."""

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if not record.exc_text:
            return super().format(record)
        line = logging.LogRecord(record.name, record.levelno, record.pathname, record.lineno,
                                 _failure_text(record.getMessage()), (), None)
        line.created = record.created
        return f"{super().format(line)}: {_exception_line(record.exc_text)} (traceback in the run log)"


def _exception_line(traceback_text: str) -> str:
    """'pkg.mod.BatchFailed: why' (a traceback's last line) as 'BatchFailed: why'."""
    last = next((ln for ln in reversed(traceback_text.strip().splitlines()) if ln.strip()), "")
    name, sep, why = last.partition(":")
    return f"{name.rsplit('.', 1)[-1]}{sep}{why}"


def _failure_text(message: str) -> str:
    """Luigi's 'Worker Worker(salt=..., pid=...) failed    Task(...)' as 'Task(...) failed'."""
    worker, sep, task = message.partition(" failed ")
    if sep and re.match(r"(\[pid \d+\] )?Worker", worker):
        return f"{task.strip()} failed"
    return message


# -- the plan: what the scheduled graph will run ----------------------------------------------
def stage_of_task(task: luigi.Task) -> str | None:
    """A pulse task's stage (``PulseTask.stage``); None for Luigi's own and external tasks."""
    return getattr(task, "stage", None) if hasattr(task, "settings") and \
        not isinstance(task, (luigi.ExternalTask, luigi.WrapperTask)) else None


class PlanningWorker(luigi.worker.Worker):
    """A Luigi worker that logs the plan (tasks to run per stage) once scheduling is done."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._pulse_complete: dict[str, bool] = {}

    def _add(self, task, is_complete):
        self._pulse_complete[task.task_id] = bool(is_complete)
        yield from super()._add(task, is_complete)

    def run(self):
        plan = Counter(stage for task_id, task in self._scheduled_tasks.items()
                       if not self._pulse_complete.get(task_id, True)
                       and (stage := stage_of_task(task)) is not None)
        stages = sorted(plan, key=_stage_rank)
        log.info("to do: %s", ", ".join(f"{s} {plan[s]}" for s in stages) or "nothing",
                 extra={"pulse_progress": {"kind": "plan", "plan": dict(plan)}})
        return super().run()


class LocalScheduler(luigi.scheduler.Scheduler):
    """Luigi's in-process scheduler, with `count_pending` cheap while no task is disabled.

    Luigi calls `count_pending` on every `get_work`, and it walks the upstream graph of every
    pending task to skip those below a disabled task: O(tasks) per task run, so O(tasks²) per
    run, which for a year's backfill (2,190 tasks) costs more than all the tasks' own work.
    While no task is DISABLED that walk can skip nothing, so the counts are the same without it.
    Its prune on every `get_work` (an O(tasks) pass: dead workers, retry delays, done tasks to
    forget) runs at most once per `PRUNE_SECONDS` instead.
    """

    PRUNE_SECONDS = 1.0
    _pruned_at = float("-inf")

    def prune(self):
        now = time.monotonic()
        if now - self._pruned_at >= self.PRUNE_SECONDS:
            self._pruned_at = now
            super().prune()

    def count_pending(self, worker):
        if self._state.get_active_task_count_for_status(luigi.scheduler.DISABLED):
            return super().count_pending(worker)
        worker_id, worker = worker, self._state.get_worker(worker)
        running_tasks = []
        for task in worker.get_tasks(self._state, luigi.scheduler.RUNNING):
            other_worker = self._state.get_worker(task.worker_running)
            if other_worker is not None:
                more_info = {"task_id": task.id, "worker": str(other_worker)}
                more_info.update(other_worker.info)
                running_tasks.append(more_info)
        num_pending = num_unique_pending = num_pending_last_scheduled = 0
        for task in worker.get_tasks(self._state, luigi.scheduler.PENDING, luigi.scheduler.FAILED):
            num_pending += 1
            num_unique_pending += int(len(task.workers) == 1)
            num_pending_last_scheduled += int(task.workers.peek(last=True) == worker_id)
        return {"n_pending_tasks": num_pending, "n_unique_pending": num_unique_pending,
                "n_pending_last_scheduled": num_pending_last_scheduled,
                "worker_state": worker.state, "running_tasks": running_tasks}


class PlanningFactory(luigi.interface._WorkerSchedulerFactory):
    """`luigi.build(worker_scheduler_factory=...)`: Luigi's own, with a `PlanningWorker` and,
    without a central scheduler, a `LocalScheduler`."""

    def create_local_scheduler(self):
        return LocalScheduler(prune_on_get_work=True, record_task_history=False)

    def create_worker(self, scheduler, worker_processes, assistant=False):
        return PlanningWorker(scheduler=scheduler, worker_processes=worker_processes,
                              assistant=assistant)


def _stage_rank(stage: str) -> tuple[int, str]:
    return (STAGE_ORDER.index(stage) if stage in STAGE_ORDER else len(STAGE_ORDER), stage)


# -- the terminal ---------------------------------------------------------------------------
@dataclass
class _Stage:
    planned: int = 0
    done: int = 0
    failed: int = 0
    rows_in: int = 0
    rows_out: int = 0
    started: float | None = None
    finished: float | None = None
    notes: list[str] = field(default_factory=list)
    printed: bool = False


class StageProgress(logging.Handler):
    """The terminal of `pulse run`: warnings and errors as they come, one line per stage.

    Other records (INFO task logs, dbt's output, Luigi's scheduling) are left to the run log.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(logging.INFO)
        self.stream = stream or sys.stderr
        self.live = bool(getattr(self.stream, "isatty", lambda: False)())
        self.stages: dict[str, _Stage] = {}
        self._live_text = ""
        self._owner = os.getpid()
        self._read, self._write = os.pipe()
        self._reader = threading.Thread(target=self._drain, name="pulse-progress", daemon=True)
        self._reader.start()
        self.setFormatter(TerminalFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s",
                                            datefmt="%Y-%m-%d %H:%M:%S"))

    # records
    def emit(self, record: logging.LogRecord) -> None:
        try:
            payload = getattr(record, "pulse_progress", None)
            if payload is not None:
                if os.getpid() != self._owner:  # a forked Luigi worker: tell the pulse process
                    os.write(self._write, (json.dumps(payload) + "\n").encode())
                else:
                    self.progress(payload)
                return
            if record.levelno < logging.WARNING:
                return
            if any(q in record.getMessage() for q in QUIET_MESSAGES):
                return
            self._print(self.format(record))
        except Exception:
            self.handleError(record)

    def _drain(self) -> None:
        with os.fdopen(self._read, "rb") as pipe:
            for line in pipe:
                try:
                    self.progress(json.loads(line))
                except ValueError:
                    continue

    def progress(self, payload: dict) -> None:
        with self.lock:
            kind = payload.get("kind")
            if kind == "plan":
                for stage, n in payload["plan"].items():
                    self.stages.setdefault(stage, _Stage()).planned = max(
                        self.stages.get(stage, _Stage()).planned, int(n))
            elif kind == "task":
                self._task(payload)
            elif kind == "say":
                self._print(str(payload.get("text", "")))
            elif kind == "live" and self.live:
                self._set_live(f"  {payload.get('text', '')}")
            elif kind == "end":
                for stage in sorted(self.stages, key=_stage_rank):
                    if not self.stages[stage].printed:
                        self._stage_line(stage)

    def _task(self, p: dict) -> None:
        stage = self.stages.setdefault(p["stage"], _Stage())
        now = time.monotonic()
        stage.started = stage.started or now - float(p.get("seconds") or 0.0)
        stage.finished = now
        if p.get("status") == "failed":
            stage.failed += 1
        else:
            stage.done += 1
        stage.rows_in += int(p.get("rows_in") or 0)
        stage.rows_out += int(p.get("rows_out") or 0)
        if p.get("note"):
            stage.notes.append(str(p["note"]))
        if stage.planned and stage.done + stage.failed >= stage.planned:
            self._stage_line(p["stage"])
        elif self.live:
            self._set_live(f"  {p['stage']:<10} {stage.done + stage.failed}/{stage.planned} "
                           f"{UNITS.get(p['stage'], 'tasks')}")

    def _stage_line(self, name: str) -> None:
        s = self.stages[name]
        s.printed = True
        if s.planned == 0 and s.done + s.failed == 0:
            return
        words_in, words_out = ROW_WORDS.get(name, ("rows in", "rows out"))
        counts = f"{s.done}/{max(s.planned, s.done + s.failed)} {UNITS.get(name, 'tasks')}"
        if s.failed:
            counts += f", {s.failed} FAILED"
        missing = s.planned - s.done - s.failed
        if missing > 0:
            counts += f", {missing} not run"
        rows = [f"{s.rows_out:,} {words_out}"]
        if words_in:
            rows.insert(0, f"{s.rows_in:,} {words_in} ->")
        note = f"; {'; '.join(s.notes[-1:])}" if s.notes else ""
        took = f" ({s.finished - s.started:.1f}s)" if s.started is not None and s.finished else ""
        self._print(f"  {name:<10} {counts}: {' '.join(rows)}{note}{took}")

    # output
    def _set_live(self, text: str) -> None:
        pad = max(0, len(self._live_text) - len(text))
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()
        self._live_text = text

    def _clear_live(self) -> None:
        if self._live_text:
            self.stream.write("\r" + " " * len(self._live_text) + "\r")
            self._live_text = ""

    def _print(self, line: str) -> None:
        self._clear_live()
        self.stream.write(strip_ansi(line) + "\n")
        self.stream.flush()

    def close(self) -> None:
        if os.getpid() == self._owner:
            with self.lock:
                self._clear_live()
                self.stream.flush()
            with contextlib.suppress(OSError):
                os.close(self._write)
        super().close()
