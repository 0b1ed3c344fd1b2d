"""Load published lake partitions into raw tables: replace the batch in one transaction.

The load itself is one generated statement sequence (warehouse.merge: stage LIKE the raw
table, copy, dedup on the table's key, delete the partition, insert, audit row), the same on
every warehouse but for the copy step, inside one transaction. Every data file is checked
against its manifest entry (size, sha256) before its rows are copied (`LakeDamaged` names
the file otherwise). Idempotent: a partition whose manifest checksum equals the last load
of that batch is not loaded again (the audit records 'unchanged'); a changed partition
replaces the batch's rows. Every load gets a new increasing load_id stored on its rows,
which is how dbt's incremental models find new data.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ingest.lake import Lake, read_manifest
from ingest.load.copy import LakePartitionFiles
from ingest.schema import LOAD_ID_COLUMN, TableSchema
from ingest.tables import all_tables
from warehouse import meta
from warehouse.clients import SqlClient
from warehouse.locks import connection, held
from warehouse.merge import PartitionLoad, partition_load_steps, q
from warehouse.target import RAW_SCHEMA, Target, identifier

log = logging.getLogger(__name__)


class LoadError(RuntimeError):
    """A partition cannot be loaded (unpublished, failed, or its counts do not match)."""


@dataclass(frozen=True)
class LoadResult:
    table: str
    batch_date: str
    status: str  # loaded | unchanged
    rows: int
    load_id: int | None


def raw_columns(table: TableSchema) -> list[tuple[str, str, bool]]:
    """(name, logical type, nullable) of a raw table: the lake columns plus _load_id."""
    return [(c.name, c.type, c.nullable) for c in (*table.columns, LOAD_ID_COLUMN)]


def create_raw_tables(client: SqlClient, tables: Iterable[str] | None = None) -> None:
    """Create schema ``raw`` and the raw table of every declared table (or of `tables`), idempotent.

    Part of the explicit set-up step, next to `warehouse.meta.setup`; loads never create tables.
    """
    declared = all_tables()
    with client.transaction():
        client.create_schema(RAW_SCHEMA)
        for name in (declared if tables is None else tables):
            table = declared[name]
            client.create_table(f"{RAW_SCHEMA}.{identifier(table.name)}", raw_columns(table))


def load_partition(client: SqlClient, lake: Lake, table_name: str, batch: str,
                   force: bool = False) -> LoadResult:
    """Load one partition in one transaction; raise LoadError if it cannot be trusted.

    pulse_meta and the raw table must exist (`meta.setup`, `create_raw_tables`). `force`
    loads it even when the newest load had the same manifest (`pulse reload`): the rows come
    out the same, under a new load id, so every later stage of the date runs again.
    """
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
    files = LakePartitionFiles(lake, table.name, batch, list(manifest.files), manifest.format)
    started = meta.utcnow()
    with client.transaction():
        meta.lock_load_audit(client)
        if not force and meta.loaded_checksum(client, table.name, batch) == manifest.checksum:
            meta.record_load(client, meta.next_load_id(client), table.name, batch, "unchanged", 0,
                             manifest.checksum, lake.uri, started)
            return LoadResult(table.name, batch, "unchanged", manifest.rows, None)
        load_id = meta.next_load_id(client)
        plan = load_plan(table, batch, load_id, manifest.checksum, lake.uri, started)
        staged = run_load(client, plan, table, files, manifest.rows)
    log.info("loaded %s batch %s: %d rows (load %d)", table.name, batch, staged, load_id)
    return LoadResult(table.name, batch, "loaded", staged, load_id)


def load_plan(table: TableSchema, batch: str, load_id: int, checksum: str, lake_uri: str,
              started: datetime) -> PartitionLoad:
    return PartitionLoad(schema=RAW_SCHEMA, table=table.name, columns=tuple(table.column_names),
                         key=table.key, partition_column=table.partition_column, batch=batch,
                         load_id=load_id, checksum=checksum, lake_uri=lake_uri,
                         started_at=started, finished_at=meta.utcnow())


def run_load(client: SqlClient, plan: PartitionLoad, table: TableSchema, files: LakePartitionFiles,
             expected_rows: int) -> int:
    """Run the generated sequence (warehouse.merge) inside the caller's transaction; the client
    issues the copy step its own way. Return the rows loaded (one per key)."""
    loaded = 0
    for step in partition_load_steps(plan):
        if step.name == "copy":
            if files.names:
                client.copy_into(q(plan.stage), [(c.name, c.type) for c in table.columns], files)
        elif step.name == "count_staged":
            staged = int(client.scalar(step.sql, step.params))
            if staged != expected_rows:
                raise LoadError(f"{table.name} batch {plan.batch}: staged {staged} rows but the "
                                f"manifest says {expected_rows}")
        elif step.name == "count_loaded":
            loaded = int(client.scalar(step.sql, step.params))
        else:
            client.run_load_step(step)
    if loaded != expected_rows:
        log.warning("%s batch %s: %d staged rows repeated a key; %d loaded", table.name,
                    plan.batch, expected_rows - loaded, loaded)
    return loaded




def load_batches(target: Target, lake: Lake, batches: list[str],
                 tables: list[str] | None = None, force: bool = False) -> list[LoadResult]:
    """Set up the warehouse, then load many partitions over one connection (one transaction
    per partition)."""
    names = list(tables or all_tables())
    with connection(target) as client:
        meta.setup(client)
        create_raw_tables(client, names)
        return [load_partition(client, lake, t, b, force) for b in sorted(batches) for t in names]


def reload_batches(target: Target, lake: Lake, batches: list[str],
                   tables: list[str] | None = None) -> list[LoadResult]:
    """`pulse reload`: load the published partitions of `batches` again, whatever the audit
    says, holding each batch's run lock (a run of the same dates is refused, as it is by
    another run). Every partition must be published; nothing is loaded otherwise."""
    names = list(tables or all_tables())
    unknown = sorted(set(names) - set(all_tables()))
    if unknown:
        raise LoadError(f"unknown table {unknown[0]!r}; pulse knows {', '.join(sorted(all_tables()))}")
    for batch in batches:
        for name in names:
            if read_manifest(lake, name, batch) is None:
                raise LoadError(f"{name} batch {batch} is not published in {lake.uri} "
                                "(no _manifest.json); run ingest first")
    with held(target, [f"batch:{b}" for b in batches]):
        return load_batches(target, lake, batches, names, force=True)
