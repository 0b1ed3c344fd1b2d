"""Run history: one row per task execution in ``pulse_meta.pipeline_task_runs``.

Written by the orchestrator, read by `pulse status` and by the duration-regression monitor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ingest.load.warehouse import dialect_cursor

TASK_RUNS_TABLE = "pulse_meta.pipeline_task_runs"


def task_runs_ddl(dialect: str) -> str:
    text = "varchar(65535)" if dialect == "redshift" else "text"
    return f"""create table if not exists {TASK_RUNS_TABLE} (
        run_id {text} not null,
        task_family {text} not null,
        task_id {text} not null,
        batch_date date,
        status {text} not null,
        started_at timestamp not null,
        finished_at timestamp,
        duration_seconds double precision,
        rows_in bigint,
        rows_out bigint,
        error {text}
    )"""


@dataclass
class TaskRun:
    run_id: str
    task_family: str  # e.g. IngestTask, LoadTask, TransformTask, CheckTask, PublishTask
    task_id: str
    batch_date: str | None
    status: str  # running | done | failed
    started_at: datetime
    finished_at: datetime | None = None
    duration_seconds: float | None = None
    rows_in: int | None = None
    rows_out: int | None = None
    error: str | None = None


def record_task_run(conn, dialect: str, run: TaskRun) -> None:
    """Insert one finished (or failed) task execution and commit."""
    cur = dialect_cursor(conn, dialect)
    mark = "%s"
    cur.execute("create schema if not exists pulse_meta")
    cur.execute(task_runs_ddl(dialect))
    values = [run.run_id, run.task_family, run.task_id, run.batch_date, run.status,
              run.started_at, run.finished_at, run.duration_seconds, run.rows_in, run.rows_out,
              (run.error or None) and run.error[:4000]]
    cur.execute(f"insert into {TASK_RUNS_TABLE} values ({', '.join([mark] * len(values))})", values)
    conn.commit()


def finish_task_run(conn, dialect: str, run: TaskRun) -> None:
    """Close the 'running' row that record_task_run wrote at the start of this execution."""
    cur = dialect_cursor(conn, dialect)
    mark = "%s"
    cur.execute(f"update {TASK_RUNS_TABLE} set status = {mark}, finished_at = {mark}, "
                f"duration_seconds = {mark}, rows_in = {mark}, rows_out = {mark}, error = {mark} "
                f"where run_id = {mark} and task_id = {mark} and status = 'running'",
                [run.status, run.finished_at, run.duration_seconds, run.rows_in, run.rows_out,
                 (run.error or None) and run.error[:4000], run.run_id, run.task_id])
    conn.commit()


def abandon_stale_runs(conn, dialect: str, task_id: str, run_id: str) -> None:
    """Mark 'running' rows of this task left by killed runs as abandoned.

    Called by a task that holds the run lock for its work, so no live run can own them.
    """
    cur = dialect_cursor(conn, dialect)
    mark = "%s"
    cur.execute(f"update {TASK_RUNS_TABLE} set status = 'abandoned' where task_id = {mark} "
                f"and run_id <> {mark} and status = 'running'", [task_id, run_id])
    conn.commit()
