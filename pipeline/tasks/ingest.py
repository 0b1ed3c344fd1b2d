"""Ingest: a day's raw folder → validated lake partitions (complete once they verify)."""

from __future__ import annotations

import logging
from pathlib import Path

import luigi
import orjson

from ingest.lake import BatchFailed, open_lake, read_manifest
from ingest.lake.verify import verify_partition
from ingest.run import MissingInput, ingest
from ingest.tables import all_tables
from pipeline.retry import is_transient
from pipeline.tasks.base import BatchTask
from warehouse import meta
from warehouse.locks import held

log = logging.getLogger("pulse.tasks")
STAGE, STATE_KEY = "ingest", "window"


class RawBatch(luigi.ExternalTask):
    """A day's raw folder, written by the app servers' log shipping (outside pulse)."""

    batch_date = luigi.DateParameter()
    raw = luigi.Parameter()

    def output(self) -> luigi.LocalTarget:
        return luigi.LocalTarget(str(Path(self.raw) / self.batch_date.isoformat()))


class WindowIngestFailed(RuntimeError):
    """This run's one window ingest failed before it published this date."""


class IngestTask(BatchTask):
    """Raw folder → validated lake partitions; complete once the events manifest says ok and
    every table's partition matches its manifest (files present, sizes and sha256s equal).

    The first ingest task of a window to run ingests every date of the window that is still
    incomplete, in ONE job run (start-up and submission are paid once per backfill, not once
    per date); the others then find their partition published and finish at once. That
    attempt is recorded (run state ``ingest``/``window``, keyed to the run): when it fails
    for good, the other dates' tasks of the same run report its error instead of running the
    whole window again, and the next run re-ingests only the dates still incomplete.
    """

    stage = STAGE

    def requires(self) -> RawBatch:
        return RawBatch(batch_date=self.batch_date, raw=self.settings.raw)

    def _ingested(self, day: str) -> bool:
        lake = open_lake(self.settings.lake)
        events = read_manifest(lake, "events", day)
        return events is not None and events.ok and \
            all(verify_partition(lake, table, day).intact for table in all_tables())

    def complete(self) -> bool:
        return self.check(lambda: self._ingested(self.batch()))

    def _attempts(self) -> dict[str, str | None]:
        """Dates this run's window ingest already tried: date -> its error (None: no error)."""
        state = self.read(lambda c: meta.read_state(c, STAGE, STATE_KEY))
        if state is None or state.run_id != self.settings.run_id or not state.detail:
            return {}
        return orjson.loads(state.detail)

    def _record(self, dates: list[str], error: str | None) -> None:
        attempts = {**self._attempts(), **{d: error for d in dates}}
        self.read(lambda c: meta.write_state(c, STAGE, STATE_KEY, "failed" if error else "done",
                                             None, self.settings.run_id,
                                             orjson.dumps(attempts).decode()))

    def execute(self) -> tuple[int, int]:
        s, day = self.settings, self.batch()
        raw = Path(s.raw)
        with held(self.target, ["ingest-window"], self.timeout()):
            attempts = self._attempts()
            if attempts.get(day) and not self._ingested(day):
                raise WindowIngestFailed(f"batch {day}: this run's window ingest failed "
                                         f"({attempts[day]}); the next run ingests it again")
            pending = [d.isoformat() for d in s.dates if d.isoformat() not in attempts
                       and (raw / d.isoformat()).is_dir() and not self._ingested(d.isoformat())]
            if day in pending:
                try:
                    ingest(s.raw, s.lake, [date for date in s.dates if date.isoformat() in pending],
                           s.ingest)
                except BatchFailed:
                    self._record(pending, None)  # the manifests say which batch failed and why
                    if not self._ingested(day):
                        raise  # our own batch failed; another date's failure is its task's
                except Exception as exc:
                    if is_transient(exc):
                        raise  # retried as a whole: nothing is recorded
                    self._record(pending, f"{type(exc).__name__}: {exc}"[:500])
                    if not self._ingested(day):
                        raise
                    log.warning("batch %s ingested; the window ingest then failed: %s", day, exc)
                else:
                    self._record(pending, None)
        m = read_manifest(open_lake(s.lake), "events", day)
        if m is None:
            raise MissingInput(f"batch {day} was not ingested")
        if not m.ok:
            raise BatchFailed(f"batch {day}: {m.status_reason}")
        if not self._ingested(day):
            problems = [p for t in all_tables()
                        for p in verify_partition(open_lake(s.lake), t, day).problems]
            raise WindowIngestFailed(f"batch {day}: partitions incomplete after ingest: "
                                     + "; ".join(problems))
        return m.input.lines, m.rows
