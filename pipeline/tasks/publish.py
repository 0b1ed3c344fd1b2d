"""Publish: mark a checked batch readable for consumers (``pulse_meta.published_batches``)."""

from __future__ import annotations

from pipeline.tasks import queries
from pipeline.tasks.base import BatchTask
from pipeline.tasks.check import CheckTask
from warehouse import meta


class PublishTask(BatchTask):
    """Mark the batch published once its checks passed.

    Consumers read only published dates; a reload withdraws the row before touching data.
    """

    stage = "publish"

    def requires(self) -> CheckTask:
        return CheckTask(batch_date=self.batch_date, **self.base())

    def complete(self) -> bool:
        def ok() -> bool:
            with self.client() as client:
                current = meta.batch_load_id(client, self.batch())
                done = meta.published(client, self.batch())
            return done is not None and current is not None and done[0] == current
        return self.check(ok)

    def execute(self) -> tuple[int, int]:
        day = self.batch()
        with self.client() as client:
            load_id = meta.batch_load_id(client, day)
            rows = queries.raw_event_count(client, [self.batch_date])
            meta.publish(client, day, load_id, rows, self.settings.run_id)
        return rows, rows
