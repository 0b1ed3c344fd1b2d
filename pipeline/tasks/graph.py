"""`PulseRun`: the whole window, the one task `pulse run` hands to Luigi."""

from __future__ import annotations

import luigi

from ingest.tables import all_tables
from pipeline.settings import RunSettings, RunSettingsParameter
from pipeline.tasks.check import CheckTask
from pipeline.tasks.load import LoadTask
from pipeline.tasks.monitor import MonitorTask
from pipeline.tasks.publish import PublishTask
from pipeline.tasks.transform import TransformTask


class PulseRun(luigi.WrapperTask):
    """Every date of the window published (or only loaded, with skip_dbt).

    With full_refresh the transform and the checks are required directly too: a published
    date's PublishTask is complete, so Luigi would never reach them through it, and a full
    refresh must rebuild (and re-check) published dates as well.
    """

    warehouse = luigi.Parameter()
    settings: RunSettings = RunSettingsParameter()
    window_start = luigi.DateParameter()
    window_end = luigi.DateParameter()

    @classmethod
    def of(cls, settings: RunSettings) -> PulseRun:
        return cls(warehouse=settings.target.describe(), settings=settings,
                   window_start=settings.start, window_end=settings.end)

    def requires(self) -> list[luigi.Task]:
        s = self.settings
        base = {"warehouse": self.warehouse, "settings": s}
        if s.skip_dbt:
            return [LoadTask(batch_date=d, table=t, **base) for d in s.dates for t in all_tables()]
        tasks: list[luigi.Task] = []
        if s.full_refresh:
            tasks.append(TransformTask(window_start=s.start, window_end=s.end, **base))
            tasks += [CheckTask(batch_date=d, **base) for d in s.dates]
        tasks += [PublishTask(batch_date=d, **base) for d in s.dates]
        if s.monitor == "last":  # the newest date, once published
            tasks.append(MonitorTask(batch_date=s.dates[-1], **base))
        return tasks
