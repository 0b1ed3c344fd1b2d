"""Every ``pulse_meta`` table: declared here, created by `setup`, read and written only here.

* ``load_audit``: one row per load attempt of a lake partition (written in the load's own
  transaction); its ``load_id`` is the watermark dbt's incremental models read. A row with
  status ``invalidated`` (written by the run's verify step) says the newest load of the
  partition no longer matches the lake or the warehouse: it takes a load id, so every later
  stage of the date, which vouches for an older load, is incomplete again until it reloads.
* ``pipeline_run_state``: the latest marker per (stage, key) of the orchestrator (transform,
  check, monitor), written only after the work succeeded.
* ``published_batches``: one row per batch date consumers may read.
* ``pipeline_task_runs``: one row per task execution (`pulse status`, duration monitor).
* ``monitor_results``: the monitors' verdicts per monitor date.
* ``run_locks``: one lease per held named lock, on warehouses without server-side locks
  (Redshift; warehouse/lease.py). Created by the first lock taken, which comes before `setup`.

Every marker carries the load it vouches for (a load_id), so reloading a batch makes its
later stages incomplete again instead of leaving a stale "done".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from warehouse.clients.base import SqlClient
from warehouse.redact import redact

SCHEMA = "pulse_meta"
ERROR_CHARS = 4000  # error and message texts are cut to this length before they are stored


@dataclass(frozen=True)
class MetaTable:
    name: str
    columns: tuple[tuple[str, str, bool], ...]  # (name, logical type, nullable)

    @property
    def qualified(self) -> str:
        return f"{SCHEMA}.{self.name}"

    def __str__(self) -> str:
        return self.qualified


LOAD_AUDIT = MetaTable("load_audit", (
    ("load_id", "integer", False), ("table_name", "string", False), ("batch_date", "date", False),
    ("status", "string", False), ("rows_loaded", "integer", False),
    ("manifest_checksum", "string", False), ("lake_uri", "string", False),
    ("started_at", "timestamp", False), ("finished_at", "timestamp", False)))
RUN_STATE = MetaTable("pipeline_run_state", (
    ("stage", "string", False), ("state_key", "string", False), ("status", "string", False),
    ("load_id", "integer", True), ("run_id", "string", False), ("updated_at", "timestamp", False),
    ("detail", "string", True)))
PUBLISHED = MetaTable("published_batches", (
    ("batch_date", "date", False), ("load_id", "integer", False), ("rows_published", "integer", False),
    ("run_id", "string", False), ("published_at", "timestamp", False)))
TASK_RUNS = MetaTable("pipeline_task_runs", (
    ("run_id", "string", False), ("task_family", "string", False), ("task_id", "string", False),
    ("batch_date", "date", True), ("status", "string", False), ("started_at", "timestamp", False),
    ("finished_at", "timestamp", True), ("duration_seconds", "double", True),
    ("rows_in", "integer", True), ("rows_out", "integer", True), ("error", "string", True)))
MONITOR_RESULTS = MetaTable("monitor_results", (
    ("run_id", "string", False), ("monitor_date", "date", False), ("monitor", "string", False),
    ("check_key", "string", False), ("status", "string", False), ("message", "string", False),
    ("observed", "double", True), ("expected", "double", True), ("checked_at", "timestamp", False)))
TABLES = (LOAD_AUDIT, RUN_STATE, PUBLISHED, TASK_RUNS, MONITOR_RESULTS)
# Not in TABLES: only lease-locked warehouses create it, and `is_set_up` does not depend on it.
RUN_LOCKS = MetaTable("run_locks", (
    ("lock_name", "short_string", False), ("holder", "string", False),
    ("acquired_at", "timestamp", False), ("expires_at", "timestamp", False)))


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _insert(client: SqlClient, table: MetaTable, values: Sequence[Any]) -> None:
    marks = ", ".join(["%s"] * len(table.columns))
    client.execute(f"insert into {table} values ({marks})", list(values))


# -- setup ------------------------------------------------------------------------------
def setup(client: SqlClient) -> None:
    """Create the schema and every pulse_meta table (idempotent). The one explicit set-up
    step: `pulse run` and `pulse monitor` call it before writing; checks never do."""
    with client.transaction():
        client.create_schema(SCHEMA)
        for table in TABLES:
            client.create_table(table.qualified, table.columns)


def is_set_up(client: SqlClient) -> bool:
    """Whether setup has run (read-only commands report 'nothing yet' instead of creating)."""
    return all(client.table_exists(SCHEMA, t.name) for t in TABLES)


# -- load audit -------------------------------------------------------------------------
def lock_load_audit(client: SqlClient) -> None:
    """Serialise loads (load ids are max + 1) until the current transaction ends."""
    client.lock_table(LOAD_AUDIT.qualified)


CURRENT = ("loaded", "invalidated")  # the statuses that say what a partition's data is now
_CURRENT = "status in ('loaded', 'invalidated')"


@dataclass(frozen=True)
class LoadRecord:
    """The newest load (or invalidation) of a (table, batch)."""

    load_id: int
    status: str  # loaded | invalidated
    rows: int
    checksum: str


def last_load(client: SqlClient, table: str, batch: str) -> LoadRecord | None:
    row = client.fetchone(f"select load_id, status, rows_loaded, manifest_checksum from {LOAD_AUDIT} "
                          f"where table_name = %s and batch_date = %s and {_CURRENT} "
                          "order by load_id desc limit 1", [table, batch])
    return LoadRecord(int(row[0]), row[1], int(row[2]), row[3]) if row else None


def loaded_checksum(client: SqlClient, table: str, batch: str) -> str | None:
    """The manifest checksum of the newest successful load of (table, batch); None when it
    was never loaded or its newest load was invalidated since."""
    record = last_load(client, table, batch)
    return record.checksum if record is not None and record.status == "loaded" else None


def invalidate_load(client: SqlClient, table: str, batch: str, lake_uri: str,
                    checksum: str = "") -> int:
    """Record that (table, batch)'s newest load cannot be trusted any more; return its id."""
    with client.transaction():
        lock_load_audit(client)
        load_id = next_load_id(client)
        now = utcnow()
        record_load(client, load_id, table, batch, "invalidated", 0, checksum, lake_uri, now)
    return load_id


def next_load_id(client: SqlClient) -> int:
    return int(client.scalar(f"select coalesce(max(load_id), 0) + 1 from {LOAD_AUDIT}"))


def record_load(client: SqlClient, load_id: int, table: str, batch: str, status: str, rows: int,
                checksum: str, lake_uri: str, started_at: datetime) -> None:
    """One audit row, inside the caller's load transaction."""
    _insert(client, LOAD_AUDIT, [load_id, table, batch, status, rows, checksum, redact(lake_uri),
                                 started_at, utcnow()])


def batch_load_id(client: SqlClient, batch: str) -> int | None:
    """The newest successful load (or invalidation) of a batch over all tables, or None."""
    value = client.scalar(f"select max(load_id) from {LOAD_AUDIT} where {_CURRENT} "
                          "and batch_date = %s", [batch])
    return None if value is None else int(value)


def max_load_id(client: SqlClient, batches: Sequence[str] | None = None) -> int:
    """The newest successful load (or invalidation) of the given batches (all batches when
    None); 0 if none."""
    sql = f"select max(load_id) from {LOAD_AUDIT} where {_CURRENT}"
    params: list = []
    if batches is not None:
        if not batches:
            return 0
        sql += f" and batch_date in ({', '.join(['%s'] * len(batches))})"
        params = [date.fromisoformat(str(b)) for b in batches]
    value = client.scalar(sql, params)
    return 0 if value is None else int(value)


def latest_loaded_batch(client: SqlClient, table: str) -> date | None:
    """The newest batch date of `table` that is loaded (or was found unchanged)."""
    return client.scalar(f"select max(batch_date) from {LOAD_AUDIT} "
                         "where table_name = %s and status in ('loaded', 'unchanged')", [table])


def unpublished_batches(client: SqlClient) -> list[tuple[date, int]]:
    """(batch, newest load) of batches whose newest load is not the published one."""
    return client.fetchall(f"""
        select a.batch_date, max(a.load_id) from {LOAD_AUDIT} as a
        where a.status in ('loaded', 'invalidated') group by a.batch_date
        having max(a.load_id) <> coalesce((select max(p.load_id) from {PUBLISHED} as p
                                           where p.batch_date = a.batch_date), -1)
        order by a.batch_date""")


# -- run state --------------------------------------------------------------------------
@dataclass(frozen=True)
class StageState:
    status: str  # done | failed
    load_id: int | None
    run_id: str
    detail: str | None


def read_state(client: SqlClient, stage: str, key: str) -> StageState | None:
    row = client.fetchone(f"select status, load_id, run_id, detail from {RUN_STATE} "
                          "where stage = %s and state_key = %s order by updated_at desc limit 1",
                          [stage, key])
    return StageState(row[0], None if row[1] is None else int(row[1]), row[2], row[3]) if row else None


def write_state(client: SqlClient, stage: str, key: str, status: str, load_id: int | None,
                run_id: str, detail: str | None = None) -> None:
    """Replace the (stage, key) marker in one transaction, after the work it describes."""
    with client.transaction():
        client.execute(f"delete from {RUN_STATE} where stage = %s and state_key = %s", [stage, key])
        _insert(client, RUN_STATE, [stage, key, status, load_id, run_id, utcnow(), detail])


def stage_states(client: SqlClient, stage: str) -> list[tuple[str, int | None, str]]:
    """(status, load_id, run_id) of every marker of a stage."""
    return client.fetchall(f"select status, load_id, run_id from {RUN_STATE} where stage = %s", [stage])


def stage_markers(client: SqlClient, stage: str) -> dict[str, StageState]:
    """Every marker of a stage by its key."""
    rows = client.fetchall(f"select state_key, status, load_id, run_id, detail from {RUN_STATE} "
                           "where stage = %s", [stage])
    return {r[0]: StageState(r[1], None if r[2] is None else int(r[2]), r[3], r[4]) for r in rows}


# -- run locks (leases) -----------------------------------------------------------------
@dataclass(frozen=True)
class Lease:
    """Another holder's live lease on a lock, as the warehouse's clock saw it."""

    holder: str  # host:pid:token
    expires_at: datetime  # UTC
    now: datetime  # the warehouse's clock when it was read (UTC)


def setup_run_locks(client: SqlClient) -> None:
    """Create the lease table when missing (idempotent; two first lockers may race)."""
    try:
        with client.transaction():
            client.create_schema(SCHEMA)
            client.create_table(RUN_LOCKS.qualified, RUN_LOCKS.columns)
    except Exception:
        if not client.table_exists(SCHEMA, RUN_LOCKS.name):
            raise
        client.rollback()


def take_lease(client: SqlClient, name: str, holder: str, seconds: int) -> Lease | None:
    """Take the lease on `name` for `seconds` in one transaction, the table locked so takers
    queue: None when it is ours now (free, expired, or ours already), else the live lease of
    the other holder, which is left alone."""
    with client.transaction():
        client.lock_table(RUN_LOCKS.qualified)
        row = client.fetchone(f"select holder, expires_at, {client.now_sql()} from {RUN_LOCKS} "
                              "where lock_name = %s order by expires_at desc limit 1", [name])
        if row is not None and row[0] != holder and row[1] > row[2]:
            return Lease(row[0], row[1], row[2])
        client.execute(f"delete from {RUN_LOCKS} where lock_name = %s", [name])
        client.execute(f"insert into {RUN_LOCKS} (lock_name, holder, acquired_at, expires_at) "
                       f"values (%s, %s, {client.now_sql()}, {client.now_sql(seconds)})",
                       [name, holder])
    return None


def renew_lease(client: SqlClient, name: str, holder: str, seconds: int) -> bool:
    """Extend our lease on `name` to `seconds` from now; False when the row is no longer ours
    (it lapsed and another holder took it)."""
    with client.transaction():
        client.lock_table(RUN_LOCKS.qualified)
        ours = client.scalar(f"select count(*) from {RUN_LOCKS} where lock_name = %s and holder = %s",
                             [name, holder])
        if ours:
            client.execute(f"update {RUN_LOCKS} set expires_at = {client.now_sql(seconds)} "
                           "where lock_name = %s and holder = %s", [name, holder])
    return bool(ours)


def release_lease(client: SqlClient, name: str, holder: str) -> None:
    """Drop our lease on `name`; another holder's row is never touched."""
    with client.transaction():
        client.lock_table(RUN_LOCKS.qualified)
        client.execute(f"delete from {RUN_LOCKS} where lock_name = %s and holder = %s", [name, holder])


# -- published batches ------------------------------------------------------------------
def published(client: SqlClient, batch: str) -> tuple[int, int] | None:
    """(load_id, rows) of the published batch, or None when it is not published."""
    row = client.fetchone(f"select load_id, rows_published from {PUBLISHED} where batch_date = %s",
                          [batch])
    return (int(row[0]), int(row[1])) if row else None


def publish(client: SqlClient, batch: str, load_id: int, rows: int, run_id: str,
            published_at: datetime | None = None) -> None:
    with client.transaction():
        client.execute(f"delete from {PUBLISHED} where batch_date = %s", [batch])
        _insert(client, PUBLISHED, [batch, load_id, rows, run_id, published_at or utcnow()])


def unpublish(client: SqlClient, batch: str) -> None:
    """Withdraw a batch before its data is replaced: consumers never see a half-checked batch."""
    with client.transaction():
        client.execute(f"delete from {PUBLISHED} where batch_date = %s", [batch])


def published_dates(client: SqlClient) -> list[date]:
    return [r[0] for r in client.fetchall(f"select batch_date from {PUBLISHED} order by batch_date")]


def first_published_at(client: SqlClient, batch: date | str) -> datetime | None:
    return client.scalar(f"select min(published_at) from {PUBLISHED} where batch_date = %s", [batch])


def published_count(client: SqlClient, start: date, end: date) -> int:
    return int(client.scalar(f"select count(*) from {PUBLISHED} where batch_date between %s and %s",
                             [start, end]))


def published_summary(client: SqlClient) -> tuple[int, date | None, date | None]:
    """(count, first, last) of the published batch dates."""
    count, first, last = client.fetchone(
        f"select count(*), min(batch_date), max(batch_date) from {PUBLISHED}")
    return int(count), first, last


# -- task runs --------------------------------------------------------------------------
@dataclass
class TaskRun:
    run_id: str
    task_family: str  # e.g. IngestTask, LoadTask, TransformTask, CheckTask, PublishTask
    task_id: str
    batch_date: str | None
    status: str  # running | done | failed | abandoned
    started_at: datetime
    finished_at: datetime | None = None
    duration_seconds: float | None = None
    rows_in: int | None = None
    rows_out: int | None = None
    error: str | None = None


def _error(text: str | None) -> str | None:
    """An error text as stored: redacted (no secret reaches a table), then cut."""
    return redact(text)[:ERROR_CHARS] if text else None


def record_task_run(client: SqlClient, run: TaskRun) -> None:
    """Insert the row of a task execution that is starting (or finished) and commit."""
    with client.transaction():
        _insert(client, TASK_RUNS, [run.run_id, run.task_family, run.task_id, run.batch_date,
                                    run.status, run.started_at, run.finished_at, run.duration_seconds,
                                    run.rows_in, run.rows_out, _error(run.error)])


def finish_task_run(client: SqlClient, run: TaskRun) -> None:
    """Close the 'running' row that record_task_run wrote at the start of this execution."""
    with client.transaction():
        client.execute(f"update {TASK_RUNS} set status = %s, finished_at = %s, duration_seconds = %s, "
                       "rows_in = %s, rows_out = %s, error = %s "
                       "where run_id = %s and task_id = %s and status = 'running'",
                       [run.status, run.finished_at, run.duration_seconds, run.rows_in, run.rows_out,
                        _error(run.error), run.run_id, run.task_id])


def abandon_stale_runs(client: SqlClient, task_id: str, run_id: str) -> None:
    """Mark 'running' rows of this task left by killed runs as abandoned.

    Called by a task that holds the run lock for its work, so no live run can own them.
    """
    with client.transaction():
        client.execute(f"update {TASK_RUNS} set status = 'abandoned' where task_id = %s "
                       "and run_id <> %s and status = 'running'", [task_id, run_id])


def failed_batch_tasks(client: SqlClient, run_id: str) -> list[tuple[date, str, str]]:
    """(batch_date, task_family, task_id) of the batch tasks of one run whose last attempt failed."""
    return client.fetchall(f"""
        select failed.batch_date, failed.task_family, failed.task_id from {TASK_RUNS} as failed
        where failed.run_id = %s and failed.status = 'failed' and failed.batch_date is not null
          and not exists (select 1 from {TASK_RUNS} as later
                          where later.run_id = failed.run_id and later.task_id = failed.task_id
                            and later.status = 'done' and later.started_at >= failed.started_at)
        order by 1, 2, 3""", [run_id])


def published_in_window(client: SqlClient, start: date, end: date) -> list[date]:
    return [r[0] for r in client.fetchall(
        f"select batch_date from {PUBLISHED} where batch_date between %s and %s order by 1",
        [start, end])]


def run_task_counts(client: SqlClient, run_id: str) -> list[tuple[str, str, int]]:
    """(task_family, status, count) of one run."""
    return client.fetchall(f"select task_family, status, count(*) from {TASK_RUNS} where run_id = %s "
                           "group by task_family, status order by 1, 2", [run_id])


def latest_runs(client: SqlClient, runs: int) -> list[tuple]:
    """(run_id, started, finished, tasks, done, failed, unfinished) of the newest runs."""
    return client.fetchall(f"""
        select run_id, min(started_at), max(finished_at), count(*),
               sum(case when status = 'done' then 1 else 0 end),
               sum(case when status = 'failed' then 1 else 0 end),
               sum(case when status in ('running', 'abandoned') then 1 else 0 end)
        from {TASK_RUNS} group by run_id order by min(started_at) desc limit {int(runs)}""")


def stage_timings(client: SqlClient, run_ids: Sequence[str]) -> list[tuple[str, str, float, int]]:
    """(run_id, task_family, summed seconds, tasks) of the given runs."""
    if not run_ids:
        return []
    return client.fetchall(f"""
        select run_id, task_family, sum(duration_seconds), count(*) from {TASK_RUNS}
        where run_id in ({', '.join(['%s'] * len(run_ids))}) group by run_id, task_family""",
                           list(run_ids))


def unfinished_tasks(client: SqlClient, limit: int = 20) -> list[tuple]:
    """(task_id, status, started_at, error) of tasks whose latest execution did not finish."""
    return client.fetchall(f"""
        select task_id, status, started_at, error from {TASK_RUNS} as r
        where started_at = (select max(started_at) from {TASK_RUNS} as l where l.task_id = r.task_id)
          and status <> 'done' order by started_at desc limit {int(limit)}""")


def finished_tasks_of_batch(client: SqlClient, batch: date) -> list[tuple[str, str, datetime, float]]:
    """(task_family, task_id, started_at, duration) of a batch's finished tasks, newest first."""
    return client.fetchall(f"""
        select task_family, task_id, started_at, duration_seconds from {TASK_RUNS}
        where batch_date = %s and status = 'done' and duration_seconds is not null
        order by task_family, started_at desc""", [batch])


def duration_history(client: SqlClient, task_family: str, before: datetime, runs: int) -> list[float]:
    """Durations of the family's finished executions that started before `before`, newest first."""
    return [r[0] for r in client.fetchall(f"""
        select duration_seconds from {TASK_RUNS}
        where task_family = %s and status = 'done' and duration_seconds is not null and started_at < %s
        order by started_at desc limit {int(runs)}""", [task_family, before])]


# -- monitor results --------------------------------------------------------------------
def store_monitor_results(client: SqlClient, run_id: str, day: date, checked_at: datetime,
                          rows: Sequence[tuple[str, str, str, str, float | None, float | None]]) -> None:
    """Replace the stored results of `day` with `rows` of (monitor, check_key, status, message,
    observed, expected), in one transaction: rerunning a monitor date is idempotent."""
    with client.transaction():
        client.execute(f"delete from {MONITOR_RESULTS} where monitor_date = %s", [day])
        for monitor, check_key, status, message, observed, expected in rows:
            _insert(client, MONITOR_RESULTS, [run_id, day, monitor, check_key, status,
                                              _error(message) or "", observed, expected,
                                              checked_at.replace(tzinfo=None)])
