"""Ingest: a day's raw folder → a validated lake partition (complete once its manifest says ok)."""

from __future__ import annotations

from pathlib import Path

import luigi

from ingest.lake import BatchFailed, open_lake, read_manifest
from ingest.run import MissingInput, ingest
from pipeline.tasks.base import BatchTask
from warehouse.locks import held


class RawBatch(luigi.ExternalTask):
    """A day's raw folder, written by the app servers' log shipping (outside pulse)."""

    batch_date = luigi.DateParameter()
    raw = luigi.Parameter()

    def output(self) -> luigi.LocalTarget:
        return luigi.LocalTarget(str(Path(self.raw) / self.batch_date.isoformat()))


class IngestTask(BatchTask):
    """Raw folder → validated lake partition; complete once its manifest says ok.

    The first ingest task of a window to run ingests every date of the window that is still
    pending, in ONE job run (start-up and submission are paid once per backfill, not once per
    date); the others then find their partition published and finish at once.
    """

    stage = "ingest"

    def requires(self) -> RawBatch:
        return RawBatch(batch_date=self.batch_date, raw=self.settings.raw)

    def _ingested(self, day: str) -> bool:
        manifest = read_manifest(open_lake(self.settings.lake), "events", day)
        return manifest is not None and manifest.ok

    def complete(self) -> bool:
        return self.check(lambda: self._ingested(self.batch()))

    def execute(self) -> tuple[int, int]:
        s = self.settings
        raw = Path(s.raw)
        with held(self.target, ["ingest-window"], self.timeout()):
            pending = [d for d in s.dates
                       if (raw / d.isoformat()).is_dir() and not self._ingested(d.isoformat())]
            if self.batch_date in pending:
                try:
                    ingest(s.raw, s.lake, pending, s.ingest)
                except BatchFailed:
                    if not self._ingested(self.batch()):
                        raise  # our own batch failed; another date's failure is its task's
        m = read_manifest(open_lake(s.lake), "events", self.batch())
        if m is None:
            raise MissingInput(f"batch {self.batch()} was not ingested")
        if not m.ok:
            raise BatchFailed(f"batch {self.batch()}: {m.status_reason}")
        return m.input.lines, m.rows
