"""Load: a lake partition → its raw table, in one transaction (``ingest.load.loader``)."""

from __future__ import annotations

import functools
from datetime import date

import luigi

from ingest.lake import Manifest, open_lake, read_manifest
from ingest.load.loader import LoadError, load_partition
from ingest.tables import all_tables
from pipeline.tasks.base import BatchTask
from pipeline.tasks.ingest import IngestTask
from warehouse import meta


@functools.lru_cache(maxsize=8)
def _load_order(dates: tuple[date, ...], tables: tuple[str, ...]) -> tuple[list, dict]:
    """The window's loads in (date, table) order and each one's position, built once per
    window (a year's graph asks 1,095 times)."""
    order = [(d, t) for d in dates for t in tables]
    return order, {load: i for i, load in enumerate(order)}


class LoadTask(BatchTask):
    """Lake partition → warehouse raw table in one transaction; complete when the audit row
    of the load (written in that transaction) matches the manifest's checksum.

    Loads of a window run in date order, so load ids (the dbt watermark) are deterministic.
    """

    table = luigi.Parameter(default="events")
    stage = "load"

    def requires(self) -> list[luigi.Task]:
        """The ingest of the date, and the load before this one in (date, table) order: one
        chain over every table, so load ids come out the same on every run."""
        deps: list[luigi.Task] = [IngestTask(batch_date=self.batch_date, **self.base())]
        order, positions = _load_order(self.settings.dates, tuple(all_tables()))
        position = positions[(self.batch_date, self.table)]
        if position:
            day, table = order[position - 1]
            deps.append(LoadTask(batch_date=day, table=table, **self.base()))
        return deps

    def manifest(self) -> Manifest | None:
        return read_manifest(open_lake(self.settings.lake), self.table, self.batch())

    def complete(self) -> bool:
        def ok() -> bool:
            manifest = self.manifest()
            if manifest is None:
                return False
            return self.read(lambda c: meta.loaded_checksum(c, self.table, self.batch())) \
                == manifest.checksum
        return self.check(ok)

    def execute(self) -> tuple[int, int]:
        lake = open_lake(self.settings.lake)
        manifest = self.manifest()
        if manifest is None:
            raise LoadError(f"{self.table} batch {self.batch()} is not published in {lake.uri} "
                            "(no _manifest.json): its ingest must run again")
        with self.client() as client:
            if meta.loaded_checksum(client, self.table, self.batch()) != manifest.checksum:
                meta.unpublish(client, self.batch())  # withdraw before replacing
            result = load_partition(client, lake, self.table, self.batch())
        return manifest.rows, result.rows
