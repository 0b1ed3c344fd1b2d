"""Where a run's completion is recorded, so every Luigi task can check its own output.

* ingest: the lake manifest (written last, by the publisher)
* load: ``pulse_meta.load_audit`` (written in the load's own transaction)
* transform / check: ``pulse_meta.pipeline_run_state``, one row per (stage, key), written
  only after the work succeeded
* publish: ``pulse_meta.published_batches``, one row per batch date that consumers may read

Every marker carries the load it vouches for (a load_id), so reloading a batch makes its
later stages incomplete again instead of leaving a stale "done".
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from ingest.load.loader import AUDIT_TABLE, ensure_tables
from ingest.load.warehouse import Target, dialect_cursor
from ingest.tables import all_tables
from pipeline.history import task_runs_ddl

RUN_STATE_TABLE = "pulse_meta.pipeline_run_state"
PUBLISHED_TABLE = "pulse_meta.published_batches"


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def state_dir(target: Target) -> Path:
    """Local folder for one warehouse's lock files and dbt artifacts (PULSE_STATE_DIR/<slug>)."""
    where = target.describe()
    if target.dialect == "duckdb":
        where = f"duckdb:{Path(target.duckdb_path).resolve()}"
    slug = re.sub(r"[^A-Za-z0-9]+", "_", where).strip("_")[-60:]
    digest = hashlib.sha256(where.encode()).hexdigest()[:10]
    return Path(os.environ.get("PULSE_STATE_DIR", "data/state")).resolve() / f"{slug}-{digest}"


def _text(dialect: str) -> str:
    return "varchar(65535)" if dialect == "redshift" else "text"


def ensure_meta_tables(conn, dialect: str) -> None:
    """Create raw tables, the load audit, run state, published batches and run history."""
    cur = dialect_cursor(conn, dialect)
    text = _text(dialect)
    ensure_tables(cur, dialect, list(all_tables().values()))
    cur.execute(f"""create table if not exists {RUN_STATE_TABLE} (
        stage {text} not null, state_key {text} not null, status {text} not null,
        load_id bigint, run_id {text} not null, updated_at timestamp not null, detail {text})""")
    cur.execute(f"""create table if not exists {PUBLISHED_TABLE} (
        batch_date date not null, load_id bigint not null, rows_published bigint not null,
        run_id {text} not null, published_at timestamp not null)""")
    cur.execute(task_runs_ddl(dialect))
    conn.commit()


def batch_load_id(conn, dialect: str, batch: str) -> int | None:
    """The newest successful load of a batch (over all tables), or None if never loaded."""
    cur = dialect_cursor(conn, dialect)
    cur.execute(f"select max(load_id) from {AUDIT_TABLE} where status = 'loaded' "
                "and batch_date = %s", [batch])
    row = cur.fetchone()
    return int(row[0]) if row and row[0] is not None else None


def max_load_id(conn, dialect: str, batches: list[str] | None = None) -> int:
    """The newest successful load of the given batches (all batches when None); 0 if none."""
    cur = dialect_cursor(conn, dialect)
    sql = f"select max(load_id) from {AUDIT_TABLE} where status = 'loaded'"
    params: list = []
    if batches is not None:
        if not batches:
            return 0
        sql += f" and cast(batch_date as {'varchar' if dialect == 'duckdb' else 'text'}) in " \
               f"({', '.join(['%s'] * len(batches))})"
        params = list(batches)
    cur.execute(sql, params)
    row = cur.fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def loaded_checksum(conn, dialect: str, table: str, batch: str) -> str | None:
    cur = dialect_cursor(conn, dialect)
    cur.execute(f"select manifest_checksum from {AUDIT_TABLE} where table_name = %s and "
                "batch_date = %s and status = 'loaded' order by load_id desc limit 1", [table, batch])
    row = cur.fetchone()
    return row[0] if row else None


@dataclass(frozen=True)
class StageState:
    status: str  # done | failed
    load_id: int | None
    run_id: str
    detail: str | None


def read_state(conn, dialect: str, stage: str, key: str) -> StageState | None:
    cur = dialect_cursor(conn, dialect)
    cur.execute(f"select status, load_id, run_id, detail from {RUN_STATE_TABLE} "
                "where stage = %s and state_key = %s order by updated_at desc limit 1", [stage, key])
    row = cur.fetchone()
    return StageState(row[0], None if row[1] is None else int(row[1]), row[2], row[3]) if row else None


def write_state(conn, dialect: str, stage: str, key: str, status: str, load_id: int | None,
                run_id: str, detail: str | None = None) -> None:
    """Replace the (stage, key) marker in one transaction, after the work it describes."""
    cur = dialect_cursor(conn, dialect)
    if dialect == "duckdb":
        cur.execute("begin transaction")
    cur.execute(f"delete from {RUN_STATE_TABLE} where stage = %s and state_key = %s", [stage, key])
    cur.execute(f"insert into {RUN_STATE_TABLE} values (%s, %s, %s, %s, %s, %s, %s)",
                [stage, key, status, load_id, run_id, utcnow(), detail])
    conn.commit()


def published(conn, dialect: str, batch: str) -> tuple[int, int] | None:
    """(load_id, rows) of the published batch, or None when it is not published."""
    cur = dialect_cursor(conn, dialect)
    cur.execute(f"select load_id, rows_published from {PUBLISHED_TABLE} where batch_date = %s", [batch])
    row = cur.fetchone()
    return (int(row[0]), int(row[1])) if row else None


def publish(conn, dialect: str, batch: str, load_id: int, rows: int, run_id: str,
            published_at: datetime | None = None) -> None:
    cur = dialect_cursor(conn, dialect)
    if dialect == "duckdb":
        cur.execute("begin transaction")
    cur.execute(f"delete from {PUBLISHED_TABLE} where batch_date = %s", [batch])
    cur.execute(f"insert into {PUBLISHED_TABLE} values (%s, %s, %s, %s, %s)",
                [batch, load_id, rows, run_id, published_at or utcnow()])
    conn.commit()


def unpublish(conn, dialect: str, batch: str) -> None:
    """Withdraw a batch before its data is replaced: consumers never see a half-checked batch."""
    cur = dialect_cursor(conn, dialect)
    cur.execute(f"delete from {PUBLISHED_TABLE} where batch_date = %s", [batch])
    conn.commit()


def published_dates(conn, dialect: str) -> list[date]:
    cur = dialect_cursor(conn, dialect)
    cur.execute(f"select batch_date from {PUBLISHED_TABLE} order by batch_date")
    return [r[0] for r in cur.fetchall()]
