"""Load published lake partitions into raw tables: replace the batch in one transaction.

Idempotent: a partition whose manifest checksum equals the last load of that batch is not
loaded again (the audit records 'unchanged'); a changed partition replaces the batch's rows.
Every load gets a new increasing load_id stored on its rows, which is how dbt's
incremental models find new data.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timezone

from ingest.lake import Lake, read_manifest
from ingest.load.copy import COPIERS
from ingest.load.warehouse import Target, dialect_cursor, identifier
from ingest.schema import TableSchema, ddl_columns
from ingest.tables import all_tables

log = logging.getLogger(__name__)
RAW_SCHEMA = "raw"
META_SCHEMA = "pulse_meta"
AUDIT_TABLE = f"{META_SCHEMA}.load_audit"


class LoadError(RuntimeError):
    """A partition cannot be loaded (unpublished, failed, or its counts do not match)."""


@dataclass(frozen=True)
class LoadResult:
    table: str
    batch_date: str
    status: str  # loaded | unchanged
    rows: int
    load_id: int | None


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def ensure_tables(cur, dialect: str, tables: list[TableSchema]) -> None:
    cur.execute(f"create schema if not exists {RAW_SCHEMA}")
    cur.execute(f"create schema if not exists {META_SCHEMA}")
    text = "varchar(65535)" if dialect == "redshift" else "text"
    cur.execute(f"""create table if not exists {AUDIT_TABLE} (
        load_id bigint not null, table_name {text} not null, batch_date date not null,
        status {text} not null, rows_loaded bigint not null, manifest_checksum {text} not null,
        lake_uri {text} not null, started_at timestamp not null, finished_at timestamp not null)""")
    for table in tables:
        cur.execute(f"create table if not exists {RAW_SCHEMA}.{identifier(table.name)} "
                    f"(\n  {ddl_columns(table, dialect)}\n)")


def _last_checksum(cur, table: str, batch: str) -> str | None:
    cur.execute(f"select manifest_checksum from {AUDIT_TABLE} where table_name = %s "
                "and batch_date = %s and status = 'loaded' order by load_id desc limit 1",
                [table, batch])
    row = cur.fetchone()
    return row[0] if row else None


def _next_load_id(cur) -> int:
    cur.execute(f"select coalesce(max(load_id), 0) + 1 from {AUDIT_TABLE}")
    return int(cur.fetchone()[0])


def _audit(cur, load_id, table, batch, status, rows, checksum, lake_uri, started) -> None:
    cur.execute(f"insert into {AUDIT_TABLE} values (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [load_id, table, batch, status, rows, checksum, lake_uri, started, _utcnow()])


def load_partition(conn, target: Target, lake: Lake, table_name: str, batch: str) -> LoadResult:
    """Load one partition in one transaction; raise LoadError if it cannot be trusted."""
    table = all_tables()[table_name]
    manifest = read_manifest(lake, table.name, batch)
    if manifest is None:
        raise LoadError(f"{table.name} batch {batch} is not published in {lake.uri} "
                        "(no _manifest.json); run ingest first")
    if not manifest.ok:
        raise LoadError(f"{table.name} batch {batch} failed ingest: {manifest.status_reason}")
    if list(manifest.columns) != table.column_names:
        raise LoadError(f"{table.name} batch {batch}: lake columns {list(manifest.columns)} "
                        f"differ from the schema {table.column_names}")
    dialect = target.dialect
    copier = COPIERS[dialect]
    started = _utcnow()
    cur = dialect_cursor(conn, dialect)
    raw = f"{RAW_SCHEMA}.{identifier(table.name)}"
    try:
        if dialect == "duckdb":
            cur.execute("begin transaction")
        ensure_tables(cur, dialect, [table])
        if dialect == "postgres":
            cur.execute(f"lock table {AUDIT_TABLE} in exclusive mode")
        elif dialect == "redshift":
            cur.execute(f"lock {AUDIT_TABLE}")
        if _last_checksum(cur, table.name, batch) == manifest.checksum:
            _audit(cur, _next_load_id(cur), table.name, batch, "unchanged", 0,
                   manifest.checksum, lake.uri, started)
            conn.commit()
            return LoadResult(table.name, batch, "unchanged", manifest.rows, None)
        load_id = _next_load_id(cur)
        stage = f"stage_{identifier(table.name)}"
        cur.execute(f"create temporary table {stage} as select {', '.join(table.column_names)} "
                    f"from {raw} where 1 = 0")
        copier(cur, lake, table, batch, [f.name for f in manifest.files], stage, manifest.format)
        cur.execute(f"select count(*) from {stage}")
        staged = int(cur.fetchone()[0])
        if staged != manifest.rows:
            raise LoadError(f"{table.name} batch {batch}: staged {staged} rows but the manifest "
                            f"says {manifest.rows}")
        cols = ", ".join(table.column_names)
        cur.execute(f"delete from {raw} where batch_date = %s", [batch])
        cur.execute(f"insert into {raw} ({cols}, _load_id) select {cols}, {load_id} from {stage}")
        cur.execute(f"drop table {stage}")
        _audit(cur, load_id, table.name, batch, "loaded", staged, manifest.checksum,
               lake.uri, started)
        conn.commit()
    except BaseException:
        with contextlib.suppress(Exception):  # DuckDB may already have aborted it
            conn.rollback()
        raise
    log.info("loaded %s batch %s: %d rows (load %d)", table.name, batch, staged, load_id)
    return LoadResult(table.name, batch, "loaded", staged, load_id)


def load_batches(target: Target, lake: Lake, batches: list[str],
                 tables: list[str] | None = None) -> list[LoadResult]:
    """Load many partitions over one connection (one transaction per partition)."""
    from ingest.load.warehouse import connect

    conn = connect(target)
    try:
        return [load_partition(conn, target, lake, t, b)
                for b in sorted(batches) for t in (tables or list(all_tables()))]
    finally:
        conn.close()
