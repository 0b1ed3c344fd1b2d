"""Bulk-copy one partition's CSV files into a staging table, per warehouse dialect."""

from __future__ import annotations

import gzip
import io
import shutil
import tempfile
from contextlib import ExitStack

from ingest.lake import Lake, LocalLake, partition_dir
from ingest.load.warehouse import identifier
from ingest.schema import SQL_TYPES, TableSchema


def _local_files(lake: Lake, prefix: str, names: list[str], stack: ExitStack) -> list[str]:
    """Local paths of the data files (S3 objects are spooled to temp files first)."""
    if isinstance(lake, LocalLake):
        return [lake.local_path(f"{prefix}/{n}") for n in names]
    folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="pulse-load-"))
    paths = []
    for name in names:
        path = f"{folder}/{name}"
        with lake.open_read(f"{prefix}/{name}") as src, open(path, "wb") as dst:
            shutil.copyfileobj(src, dst)
        paths.append(path)
    return paths


def copy_duckdb(cur, lake: Lake, table: TableSchema, batch: str, names: list[str], stage: str,
                fmt: str = "csv.gz"):
    columns = ", ".join(f"'{c.name}': '{SQL_TYPES[c.type]['duckdb']}'" for c in table.columns)
    cols = ", ".join(identifier(c) for c in table.column_names)
    with ExitStack() as stack:
        for path in _local_files(lake, partition_dir(table.name, batch), names, stack):
            if fmt == "parquet":
                cur.execute(f"insert into {stage} ({cols}) select {cols} from read_parquet(?)", [path])
                continue
            cur.execute(
                f"insert into {stage} ({cols}) select * from read_csv(?, header = true, "
                f"columns = {{{columns}}}, quote = '\"', escape = '\"', "
                f"allow_quoted_nulls = false, auto_detect = false)", [path])


def copy_postgres(cur, lake: Lake, table: TableSchema, batch: str, names: list[str], stage: str,
                  fmt: str = "csv.gz"):
    cols = ", ".join(identifier(c) for c in table.column_names)
    prefix = partition_dir(table.name, batch)
    sql = f"copy {stage} ({cols}) from stdin with (format csv, header true)"
    for name in names:
        with lake.open_read(f"{prefix}/{name}") as raw:
            if fmt == "parquet":
                cur.copy_expert(sql, _parquet_as_csv(raw))
            else:
                with gzip.open(raw, "rb") as data:
                    cur.copy_expert(sql, data)


def _parquet_as_csv(handle) -> io.BytesIO:
    """Parquet → CSV that COPY reads (null = empty unquoted, strings quoted when needed)."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    out = io.BytesIO()
    pacsv.write_csv(pq.read_table(handle), out)
    out.seek(0)
    return out


def redshift_copy_sql(stage: str, table: TableSchema, manifest_url: str, iam_role: str,
                      fmt: str = "csv.gz") -> str:
    """COPY from a Redshift manifest listing the partition's files."""
    cols = ", ".join(identifier(c) for c in table.column_names)
    if fmt == "parquet":  # Parquet COPY maps columns by position, without a column list
        return f"copy {stage} from '{manifest_url}' iam_role '{iam_role}' format as parquet manifest"
    return (f"copy {stage} ({cols}) from '{manifest_url}' iam_role '{iam_role}' "
            "format as csv gzip ignoreheader 1 timeformat 'auto' dateformat 'auto' manifest")


def copy_redshift(cur, lake: Lake, table: TableSchema, batch: str, names: list[str], stage: str,
                  fmt: str = "csv.gz"):
    """COPY the partition's files from S3 through a Redshift manifest (``mandatory`` entries,
    so a missing file fails the COPY instead of loading less)."""
    import os

    import orjson

    if not lake.uri.startswith("s3://"):
        raise ValueError("Redshift loads need an s3:// lake (COPY reads from S3)")
    role = os.environ.get("PULSE_RS_IAM_ROLE")
    if not role:
        raise ValueError("set PULSE_RS_IAM_ROLE to the IAM role Redshift COPY assumes")
    prefix = partition_dir(table.name, batch)
    entries = [{"url": f"{lake.uri}/{prefix}/{n}", "mandatory": True} for n in names]
    lake.write_bytes(f"{prefix}/_redshift_copy.manifest", orjson.dumps({"entries": entries}))
    if entries:
        cur.execute(redshift_copy_sql(stage, table, f"{lake.uri}/{prefix}/_redshift_copy.manifest",
                                      role, fmt))


COPIERS = {"duckdb": copy_duckdb, "postgres": copy_postgres, "redshift": copy_redshift}
