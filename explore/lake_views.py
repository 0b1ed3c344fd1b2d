"""The lake's published partitions as local Parquet files DuckDB can scan, one view per table.

Only partitions whose manifest exists (and says ``ok``) are read, and only the files it lists.
Every file is verified against the manifest's sha256 before DuckDB sees it:

- a local Parquet lake is read in place; a verification stamp keyed by the manifest checksum
  (and the files' size and mtime) saves re-hashing on the next query;
- gzip CSV partitions get a Parquet mirror, and S3 partitions a local copy, in the cache folder,
  named after the manifest checksum: built once, rebuilt only when the partition is republished.

The cache keeps the lake layout (``<table>/batch_date=<D>/``), so DuckDB's hive partitioning
turns a ``batch_date`` filter into skipped files: a one-day query opens one day's files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import orjson

from explore.sql_scope import ALL, DateSpan
from ingest.lake import MANIFEST, Lake, LocalLake, Manifest, open_lake, partition_dir, read_manifest
from ingest.lake.writers import sha256_file
from ingest.schema import EVENTS, TableSchema
from ingest.tables import all_tables
from warehouse.clients.duckdb import DuckDBClient

QUARANTINE = "quarantine"
# The quarantine records' fields (batch_date comes from the partition folder).
QUARANTINE_COLUMNS = {"source_file": "VARCHAR", "source_line": "BIGINT", "reason": "VARCHAR",
                      "detail": "VARCHAR", "raw": "VARCHAR", "raw_bytes": "BIGINT"}


class LakeError(ValueError):
    """A partition that cannot be read as its manifest says (missing or altered file)."""


def lake_tables() -> dict[str, TableSchema]:
    """Every lake table: events first, then the declared log tables."""
    return all_tables()


def duck_type(logical: str) -> str:
    return DuckDBClient.TYPES[logical]


@dataclass(frozen=True)
class Partition:
    """One published partition and the local files that hold its rows."""

    batch_date: str
    paths: tuple[str, ...]
    quarantine_path: str | None = None


def published_batches(lake: Lake, table: str) -> list[str]:
    """Batch dates of the table whose manifest exists (written last, so the partition is whole)."""
    suffix = f"/{MANIFEST}"
    out = []
    if isinstance(lake, LocalLake):  # only the manifests, not every data file of the lake
        rels = [f"{table}/{p.parent.name}/{MANIFEST}"
                for p in (lake.root / table).glob(f"batch_date=*/{MANIFEST}")]
    else:
        rels = lake.list(f"{table}/")
    for rel in rels:
        folder = rel[: -len(suffix)] if rel.endswith(suffix) else None
        if folder and folder.count("/") == 1 and "/batch_date=" in folder:
            out.append(folder.split("=", 1)[1])
    return sorted(out)


def _batch_day(batch: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(batch)
    except ValueError:
        return None


class LakeCache:
    """Local, verified Parquet files for the published partitions of one lake.

    What it finds is kept for the life of the object (one session): the folders of each table,
    and each partition once verified, so a view widened later reads the same lake state.
    """

    def __init__(self, lake_uri: str | Path, cache_dir: str | Path) -> None:
        self.lake = open_lake(lake_uri)
        key = hashlib.sha256(self.lake.uri.encode()).hexdigest()[:12]
        self.root = Path(cache_dir).resolve() / key
        self._store = LocalLake(self.root)
        self.files_built = 0  # mirrors and copies made by this process (tests, --verbose)
        self.manifests_read = 0  # manifests parsed (not answered from the index) by this object
        self._batches: dict[str, list[str]] = {}  # table -> candidate batch folders
        self._index: dict[str, dict] = {}  # table -> the stored index, as read
        self._found: dict[str, dict[str, Partition | None]] = {}  # table -> batch -> partition

    def partitions(self, table: str, span: DateSpan = ALL) -> list[Partition]:
        """The table's published ``ok`` partitions whose batch date ``span`` holds, each with
        verified local Parquet files.

        Only those partitions' manifests are looked at. On a local lake, a partition whose
        manifest and files are unchanged (size, mtime) since the last session is taken from
        the table's index without re-reading its manifest.
        """
        found = self._found.setdefault(table, {})
        wanted = [b for b in self._candidates(table)
                  if span.whole or ((day := _batch_day(b)) is not None and span.holds(day))]
        todo = [b for b in wanted if b not in found]
        if todo:
            self._look(table, todo, found)
        return [part for b in wanted if (part := found[b]) is not None]

    def any_published(self) -> bool:
        """Whether any lake table has a published partition (manifests looked for, not read)."""
        for table in lake_tables():
            if not isinstance(self.lake, LocalLake):
                if self._candidates(table):
                    return True
                continue
            folder = self.lake.root / table
            if any((folder / f"batch_date={b}" / MANIFEST).exists() for b in self._candidates(table)):
                return True
        return False

    def _candidates(self, table: str) -> list[str]:
        """Batch folders that may hold a published partition: on a local lake every
        ``batch_date=`` folder (its manifest is checked when the partition is wanted); on S3
        those with a manifest (one listing)."""
        if table not in self._batches:
            if isinstance(self.lake, LocalLake):
                try:
                    with os.scandir(self.lake.root / table) as entries:
                        batches = [e.name.split("=", 1)[1] for e in entries
                                   if e.name.startswith("batch_date=")]
                except FileNotFoundError:
                    batches = []
            else:
                batches = published_batches(self.lake, table)
            self._batches[table] = sorted(batches)
        return self._batches[table]

    def _look(self, table: str, batches: list[str], found: dict[str, Partition | None]) -> None:
        """Find and verify the given partitions; record them in the table's index."""
        index_path = self.root / table / ".index.json"
        if table not in self._index:
            self._index[table] = orjson.loads(index_path.read_bytes()) if index_path.exists() else {}
        index = self._index[table]
        listed = set(self._candidates(table))
        updated = {b: e for b, e in index.items() if b in listed}
        for batch in batches:
            entry = index.get(batch)
            if entry is not None and self._stats(table, batch, entry["paths"]) == entry["stats"]:
                found[batch] = Partition(batch, tuple(entry["paths"]), entry["quarantine"])
                continue
            updated.pop(batch, None)
            manifest = read_manifest(self.lake, table, batch)
            self.manifests_read += manifest is not None
            if manifest is None or not manifest.ok:
                found[batch] = None  # unpublished; a failed batch is never published to the warehouse either
                continue
            part = found[batch] = self._materialise(manifest)
            stats = self._stats(table, batch, part.paths)
            if stats is not None:
                updated[batch] = {"stats": stats, "paths": list(part.paths),
                                  "quarantine": part.quarantine_path}
        if updated != index and isinstance(self.lake, LocalLake):
            self._write(index_path, orjson.dumps(dict(sorted(updated.items()))))
            self._index[table] = updated

    def _write(self, path: Path, data: bytes) -> None:
        """Write a file of the cache atomically (the lake's own temp-file-and-rename)."""
        self._store.write_bytes(path.relative_to(self.root).as_posix(), data)

    def _stats(self, table: str, batch: str, paths: Iterable[str]) -> list | None:
        """(size, mtime) of a local manifest and of the files read; None on S3 (its copies are
        keyed by checksum and its manifests are read every time)."""
        if not isinstance(self.lake, LocalLake):
            return None
        try:
            where = os.path.join(self.lake.uri, table, f"batch_date={batch}", MANIFEST)
            return [[st.st_size, st.st_mtime_ns] for st in map(os.stat, (where, *paths))]
        except FileNotFoundError:
            return None

    # -- one partition --------------------------------------------------------------------
    def _folder(self, manifest: Manifest) -> Path:
        return self.root / partition_dir(manifest.table, manifest.batch_date)

    def _materialise(self, m: Manifest) -> Partition:
        folder = self._folder(m)
        quarantine = self._quarantine(m, folder) if m.is_events and m.quarantine_file else None
        if not m.files:  # a published partition with no rows
            return Partition(m.batch_date, (), quarantine)
        if m.format == "parquet" and isinstance(self.lake, LocalLake):
            paths = tuple(self.lake.local_path(f"{m.partition}/{f.name}") for f in m.files)
            self._verify_in_place(m, folder, paths)
            return Partition(m.batch_date, paths, quarantine)
        mirror = folder / f"{m.checksum[:16]}.parquet"
        if not mirror.exists():
            self._build_mirror(m, folder, mirror)
        return Partition(m.batch_date, (str(mirror),), quarantine)

    def _verify_in_place(self, m: Manifest, folder: Path, paths: tuple[str, ...]) -> None:
        stats = [[os.stat(p).st_size, os.stat(p).st_mtime_ns] for p in paths]
        stamp = folder / f".verified-{m.checksum[:16]}.json"
        if stamp.exists() and orjson.loads(stamp.read_bytes()) == stats:
            return
        for f, path in zip(m.files, paths, strict=False):
            if sha256_file(path) != f.sha256:
                raise LakeError(f"{m.partition}/{f.name}: content differs from its manifest "
                                f"(sha256); republish the partition")
        folder.mkdir(parents=True, exist_ok=True)
        self._write(stamp, orjson.dumps(stats))

    def _fetch(self, m: Manifest, name: str, sha256: str | None, into: Path) -> Path:
        """A local copy of one lake file (verified when the manifest gives its sha256)."""
        into.mkdir(parents=True, exist_ok=True)
        local = into / name
        with self.lake.open_read(f"{m.partition}/{name}") as src, open(local, "wb") as dst:
            shutil.copyfileobj(src, dst)
        if sha256 is not None and sha256_file(str(local)) != sha256:
            raise LakeError(f"{m.partition}/{name}: content differs from its manifest (sha256); "
                            f"republish the partition")
        return local

    def _build_mirror(self, m: Manifest, folder: Path, mirror: Path) -> None:
        staging = folder / f".staging-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            sources = [self._fetch(m, f.name, f.sha256, staging) for f in m.files]
            tmp = staging / "mirror.parquet"
            con = duckdb.connect()
            try:
                con.execute(f"copy ({_read_sql(m, [str(s) for s in sources])}) to '{_q(tmp)}' "
                            f"(format parquet, compression zstd)")
            finally:
                con.close()
            for old in folder.glob("*.parquet"):  # superseded by a republished partition
                old.unlink()
            os.replace(tmp, mirror)
            self.files_built += 1
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _quarantine(self, m: Manifest, folder: Path) -> str:
        name = m.quarantine_file
        if isinstance(self.lake, LocalLake):
            return self.lake.local_path(f"{m.partition}/{name}")
        local = folder / "quarantine" / name
        if not local.exists():
            self._fetch(m, name, None, folder / "quarantine")
        return str(local)


def _read_sql(m: Manifest, paths: list[str]) -> str:
    """SELECT over a partition's source files with the manifest's columns and logical types."""
    schema = lake_tables().get(m.table)
    types = {c.name: duck_type(c.type) for c in schema.columns} if schema else {}
    listed = ", ".join(f"'{_q(p)}'" for p in paths)
    if m.format == "parquet":
        return f"select * from read_parquet([{listed}])"
    columns = ", ".join(f"'{c}': '{types.get(c, 'VARCHAR')}'" for c in m.columns)
    return (f"select * from read_csv([{listed}], header = true, columns = {{{columns}}}, "
            f"quote = '\"', escape = '\"', allow_quoted_nulls = false, auto_detect = false)")


def create_view(con: duckdb.DuckDBPyConnection, cache: LakeCache, name: str,
                span: DateSpan = ALL, sample_filter: str | None = None) -> int:
    """(Re)create the view of one lake table (or ``quarantine``) over its published partitions
    that ``span`` holds; returns how many partitions (quarantine: files) it reads.

    ``sample_filter`` is a boolean SQL expression over the table's columns (sampling).
    """
    if name == QUARANTINE:
        paths = [part.quarantine_path for part in cache.partitions(EVENTS.name, span)
                 if part.quarantine_path]
        if paths:
            cols = ", ".join(f"'{k}': '{v}'" for k, v in QUARANTINE_COLUMNS.items())
            source = (f"select batch_date, {', '.join(QUARANTINE_COLUMNS)} from read_json("
                      f"[{', '.join(_lit(p) for p in paths)}], format = 'newline_delimited', "
                      f"columns = {{{cols}}}, hive_partitioning = true, "
                      f"hive_types = {{'batch_date': DATE}})")
        else:
            source = ("select cast(null as date) as batch_date, "
                      + ", ".join(f"cast(null as {v}) as {k}" for k, v in QUARANTINE_COLUMNS.items())
                      + " where false")
        con.execute(f"create or replace view {QUARANTINE} as {source}")
        return len(paths)
    schema = lake_tables()[name]
    parts = cache.partitions(name, span)
    paths = [p for part in parts for p in part.paths]
    names = ", ".join(f'"{c.name}"' for c in schema.columns)
    if paths:
        source = (f"select {names} from read_parquet([{', '.join(_lit(p) for p in paths)}], "
                  f"hive_partitioning = true, hive_types = {{'batch_date': DATE}})")
    else:
        source = _empty(schema.columns)
    con.execute(f'create or replace view "{name}" as {source}'
                + (f" where {sample_filter}" if sample_filter else ""))
    return len(parts)


def create_views(con: duckdb.DuckDBPyConnection, cache: LakeCache,
                 sample_filter: dict[str, str] | None = None) -> dict[str, int]:
    """Every view over every published partition; returns partitions per view."""
    return {name: create_view(con, cache, name, ALL, (sample_filter or {}).get(name))
            for name in view_names()}


def view_names() -> list[str]:
    """The session's views: every lake table, then ``quarantine``."""
    return [*lake_tables(), QUARANTINE]


def _empty(columns: Iterable) -> str:
    return ("select " + ", ".join(f'cast(null as {duck_type(c.type)}) as "{c.name}"' for c in columns)
            + " where false")


def _q(path: str | Path) -> str:
    return str(path).replace("'", "''")


def _lit(path: str) -> str:
    return f"'{_q(path)}'"
