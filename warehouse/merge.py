"""The load of one lake partition as one generated statement sequence.

Written for Redshift, which enforces no key, and run unchanged on PostgreSQL; only the bulk
copy step differs per warehouse (``SqlClient.copy_into``: COPY from an S3 manifest on
Redshift, COPY FROM STDIN on PostgreSQL), so what the test suite runs on PostgreSQL is what
production sends to Redshift:

1. ``stage``: a temporary table LIKE the raw table (same column types and, on Redshift, the
   same distribution and sort keys), without ``_load_id`` (the lake files lack it);
2. ``copy``: the partition's files into the stage;
3. ``count_staged``: the caller compares it with the manifest's row count;
4. ``dedup``: the staged rows, one per primary key (lineage order decides which one stays);
5. ``delete_partition``: the raw table's rows of this partition, then ``delete_keys``: rows of
   other partitions that carry a staged key (only when the key does not contain the
   partition column; otherwise a key cannot live in another partition);
6. ``insert``: the deduplicated rows, stamped with the load id;
7. ``audit``: the load_audit row, its row count read from the deduplicated table;
8. ``drop``: the temporary tables.

All of it runs inside the caller's one transaction: a failure at any step rolls back every
step, and the raw table and the audit are as they were. Every identifier is quoted: ``raw``,
pulse's raw schema, is a reserved word on Redshift.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from warehouse.redact import redact
from warehouse.target import identifier
from warehouse.target import quoted as q
from warehouse.target import quoted_relation as qualified

LOAD_ID = "_load_id"
RANK = "_pulse_rank"
# Which staged copy of a key stays: the earliest in the lake's lineage (file, line: unique per
# row); a table without lineage columns orders by its other columns. Deterministic either way.
LINEAGE = ("source_file", "source_line")


@dataclass(frozen=True)
class Step:
    name: str
    sql: str  # %s placeholders; for "copy", a description (the client issues the copy)
    params: tuple[Any, ...] = ()
    like: tuple[str, str] | None = None  # (table, source) of a CREATE TABLE ... (LIKE source)

    def fetches(self) -> bool:
        return self.name.startswith("count_")


@dataclass(frozen=True)
class PartitionLoad:
    """Everything the sequence of one partition load needs."""

    schema: str
    table: str
    columns: tuple[str, ...]  # the lake columns, in file order
    key: tuple[str, ...]
    partition_column: str
    batch: str
    load_id: int
    checksum: str
    lake_uri: str
    started_at: datetime
    finished_at: datetime

    @property
    def target(self) -> str:
        return f"{q(self.schema)}.{q(self.table)}"

    @property
    def stage(self) -> str:
        return f"stage_{identifier(self.table)}"

    @property
    def deduped(self) -> str:
        return f"stage_{identifier(self.table)}_dedup"


def partition_load_steps(load: PartitionLoad) -> list[Step]:
    """The statements of one partition load, in order (see the module docstring)."""
    from warehouse.meta import LOAD_AUDIT  # meta imports the clients, which import this

    if not load.key or any(k not in load.columns for k in load.key):
        raise ValueError(f"table {load.table}: key {list(load.key)} must name its columns")
    stage, deduped, target = q(load.stage), q(load.deduped), load.target
    cols = ", ".join(q(c) for c in load.columns)
    order = [c for c in LINEAGE if c in load.columns] or \
        [c for c in load.columns if c not in load.key]
    partition = ", ".join(q(k) for k in load.key)
    order_by = ", ".join(q(c) for c in order) or partition
    steps = [
        Step("stage", f"create temporary table {stage} (like {target})", like=(stage, target)),
        Step("stage", f"alter table {stage} drop column {q(LOAD_ID)}"),
        Step("copy", f"copy {stage} ({cols}) from <partition files>"),
        Step("count_staged", f"select count(*) from {stage}"),
        Step("dedup", f"create temporary table {deduped} as select {cols} from ("
                      f"select {cols}, row_number() over (partition by {partition} "
                      f"order by {order_by}) as {q(RANK)} from {stage}) as ranked "
                      f"where {q(RANK)} = 1"),
        Step("delete_partition", f"delete from {target} where {q(load.partition_column)} = cast(%s as date)",
             (load.batch,)),
    ]
    if load.partition_column not in load.key:
        match = " and ".join(f"{target}.{q(k)} = {deduped}.{q(k)}" for k in load.key)
        steps.append(Step("delete_keys", f"delete from {target} using {deduped} where {match}"))
    audit_cols = ", ".join(q(c[0]) for c in LOAD_AUDIT.columns)
    steps += [
        Step("insert", f"insert into {target} ({cols}, {q(LOAD_ID)}) "
                       f"select {cols}, %s from {deduped}", (int(load.load_id),)),
        Step("audit", f"insert into {qualified(LOAD_AUDIT.qualified)} ({audit_cols}) "
                      f"select %s, %s, cast(%s as date), 'loaded', count(*), %s, %s, "
                      f"cast(%s as timestamp), cast(%s as timestamp) from {deduped}",
             (int(load.load_id), load.table, load.batch, load.checksum, redact(load.lake_uri),
              load.started_at, load.finished_at)),
        Step("count_loaded", f"select count(*) from {deduped}"),
        Step("drop", f"drop table {deduped}"),
        Step("drop", f"drop table {stage}"),
    ]
    return steps


def literal(value: Any) -> str:
    """A parameter as an SQL literal (for rendering a sequence as text, e.g. a golden file)."""
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return f"'{value.isoformat(sep=' ')}'"
    return "'" + str(value).replace("'", "''") + "'"


def render(sql: str, params: Sequence[Any]) -> str:
    """`sql` with its %s placeholders replaced by literals."""
    parts = sql.split("%s")
    if len(parts) != len(params) + 1:
        raise ValueError("placeholder count does not match the parameters")
    out = parts[0]
    for value, part in zip(params, parts[1:], strict=True):
        out += literal(value) + part
    return out
