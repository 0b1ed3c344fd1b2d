"""Check: cheap data checks of one batch after dbt, before it may be published."""

from __future__ import annotations

from ingest.lake import open_lake, read_manifest
from pipeline.tasks import queries
from pipeline.tasks.base import BatchTask
from pipeline.tasks.transform import TransformTask
from warehouse import meta

STAGE = "check"


class CheckFailed(RuntimeError):
    """A data check found the batch unfit to publish."""


class CheckTask(BatchTask):
    """Cheap data checks for one batch after dbt (whose build already ran the dbt tests),
    (the data monitors run after publishing: see MonitorTask).

    * the raw partition is whole: raw.events rows == manifest rows
    * every raw event reached fct_events, and fct_events holds each event_id once

    A full-refresh run checks every date again (complete only once this run checked it).
    """

    stage = STAGE

    def requires(self) -> TransformTask:
        return TransformTask(window_start=self.settings.start, window_end=self.settings.end,
                             **self.base())

    def complete(self) -> bool:
        def ok() -> bool:
            with self.client() as client:
                done = meta.read_state(client, STAGE, self.batch())
                current = meta.batch_load_id(client, self.batch())
            return done is not None and done.status == "done" and current is not None \
                and done.load_id == current \
                and (not self.settings.full_refresh or done.run_id == self.settings.run_id)
        return self.check(ok)

    def execute(self) -> tuple[int, int]:
        day = self.batch()
        manifest = read_manifest(open_lake(self.settings.lake), "events", day)
        with self.client() as client:
            raw_rows = queries.raw_event_count(client, [self.batch_date])
            if manifest is None or raw_rows != manifest.rows:
                raise CheckFailed(f"raw.events holds {raw_rows} rows for {day}, the manifest "
                                  f"{manifest and manifest.rows}")
            missing = queries.events_missing_from_fct(client, self.batch_date)
            if missing:
                raise CheckFailed(f"{missing} event_id(s) of batch {day} are missing from fct_events")
            fct_rows, fct_ids = queries.fct_rows_and_ids(client, self.batch_date)
            if fct_rows != fct_ids:
                raise CheckFailed(f"fct_events holds {fct_rows - fct_ids} duplicate row(s) for batch {day}")
            meta.write_state(client, STAGE, day, "done", meta.batch_load_id(client, day),
                             self.settings.run_id)
        return raw_rows, fct_rows
