"""A DuckDB session over the lake: ``pulse query`` and the explorer's lake views run here."""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from explore import sampling
from explore.lake_views import LakeCache, create_view, lake_tables, view_names
from explore.sql_scope import ALL, DateSpan, scope

DEFAULT_CACHE = "data/lake-cache"


class QueryError(ValueError):
    """SQL DuckDB refused (the message is DuckDB's one-line reason)."""


@dataclass(frozen=True)
class Result:
    columns: list[str]
    rows: list[tuple]
    seconds: float
    sample_rate: float | None = None  # rows hold sampling.Estimate cells when set


@dataclass(frozen=True)
class FilesRead:
    count: int
    names: list[str]  # DuckDB lists the first few only


class LakeSession:
    """An in-memory DuckDB connection with one view per lake table (and ``quarantine``).

    A view is created when a statement first reads its table, over only the partitions the
    statement's literal ``batch_date`` bounds can match (explore.sql_scope), and widened when
    a later statement needs more; it never narrows. ``open_all`` creates every view over every
    partition at once (the explorer, which runs many statements over one session).
    """

    def __init__(self, lake: str | Path, cache_dir: str | Path = DEFAULT_CACHE,
                 sample_rate: float | None = None, sample_seed: int = 0) -> None:
        self.cache = LakeCache(lake, cache_dir)
        self.sample_rate = sample_rate
        self.con = duckdb.connect()
        self._filters: dict[str, str] = {}
        if sample_rate is not None:
            self._filters = {name: sampling.sample_filter(schema.column_names, sample_seed)
                             for name, schema in lake_tables().items()}
            self._set_sample(sampling.cutoff(sample_rate), -1)
        self._views: dict[str, DateSpan] = {}  # view -> the batch dates it covers
        self.partitions: dict[str, int] = {}  # view -> partitions it reads (quarantine: files)

    def prepare(self, sql: str) -> None:
        """Create, or widen, the views ``sql`` reads."""
        for name, span in scope(sql, view_names(), self.con).items():
            self._cover(name, span)

    def open_all(self) -> dict[str, int]:
        """Every view over every published partition; returns partitions per view."""
        for name in view_names():
            self._cover(name, ALL)
        return dict(self.partitions)

    def _cover(self, name: str, span: DateSpan) -> None:
        current = self._views.get(name)
        if current is not None and current.covers(span):
            return
        wanted = span if current is None else current.hull(span)
        self.partitions[name] = create_view(self.con, self.cache, name, wanted,
                                            self._filters.get(name))
        self._views[name] = wanted

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> LakeSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _set_sample(self, cutoff: int, bucket: int) -> None:
        self.con.execute(f"set variable {sampling.CUTOFF_VAR} = {int(cutoff)}")
        self.con.execute(f"set variable {sampling.BUCKET_VAR} = {int(bucket)}")

    def _fetch(self, sql: str) -> tuple[list[str], list[tuple]]:
        try:
            cur = self.con.execute(sql)
        except duckdb.Error as exc:
            raise QueryError(str(exc).splitlines()[0]) from None
        if cur.description is None:
            return [], []
        return [d[0] for d in cur.description], cur.fetchall()

    def run(self, sql: str) -> Result:
        """Run ``sql``; with a sample rate, every numeric cell becomes an estimate with its interval."""
        start = time.perf_counter()
        self.prepare(sql)
        columns, rows = self._fetch(sql)
        if self.sample_rate is None:
            return Result(columns, rows, time.perf_counter() - start)
        groups = []
        try:
            for bucket in range(sampling.BUCKETS):
                self._set_sample(sampling.cutoff(self.sample_rate), bucket)
                groups.append(self._fetch(sql)[1])
        finally:
            self._set_sample(sampling.cutoff(self.sample_rate), -1)
        rows = sampling.estimates(self.sample_rate, columns, rows, groups)
        return Result(columns, rows, time.perf_counter() - start, self.sample_rate)

    def files_read(self, sql: str) -> FilesRead:
        """How many data files DuckDB opened to answer ``sql``, and (up to DuckDB's listing
        limit) which, from its profiling output."""
        self.prepare(sql)
        fd, path = tempfile.mkstemp(prefix="pulse-profile-", suffix=".json")
        os.close(fd)
        try:
            # Statistics propagation answers e.g. a bare count(*) over one Parquet file from its
            # footer at plan time: no scan runs, so no profile is written though the file was read.
            self.con.execute("set disabled_optimizers = 'statistics_propagation'")
            self.con.execute("pragma enable_profiling = 'json'")
            self.con.execute(f"pragma profiling_output = '{path}'")
            try:
                self._fetch(sql)
            finally:
                self.con.execute("pragma disable_profiling")
                self.con.execute("reset disabled_optimizers")
            with open(path) as handle:
                profile = json.load(handle)
        finally:
            os.unlink(path)
        count, names = 0, []

        def walk(node: dict) -> None:
            nonlocal count
            info = node.get("extra_info") or {}
            if "Total Files Read" in info:
                count += int(info["Total Files Read"])
                names.extend(n for n in info.get("Filename(s)", "").split(", ") if n and n != "...")
            for child in node.get("children", []) + node.get("operator", []):
                walk(child)

        walk(profile)
        return FilesRead(count, sorted(set(names)))
