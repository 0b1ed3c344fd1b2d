"""Monitor: the data and pipeline monitors (`monitor.run.run_monitors`) for a published date."""

from __future__ import annotations

from dataclasses import replace

from pipeline.tasks.base import BatchTask
from pipeline.tasks.publish import PublishTask
from warehouse import meta

STAGE = "monitor"


class MonitorTask(BatchTask):
    """Findings are stored in pulse_meta.monitor_results and alerted; they do not withdraw the
    date (a real change in the numbers is still the truth). An alert that no sink accepted
    fails the task, so the run exits non-zero: an alert is never lost silently.
    """

    stage = STAGE

    def requires(self) -> PublishTask:
        return PublishTask(batch_date=self.batch_date, **self.base())

    def complete(self) -> bool:
        def ok() -> bool:
            with self.client() as client:
                done = meta.read_state(client, STAGE, self.batch())
                load_id = meta.batch_load_id(client, self.batch())
            return done is not None and done.status == "done" and (done.load_id or 0) >= (load_id or 0)
        return self.check(ok)

    def execute(self) -> tuple[int, int]:
        from monitor.config import load_config
        from monitor.run import run_monitors

        # the dbt tests already ran in the transform's `dbt build`
        config = replace(load_config(), lake=self.settings.lake, run_dbt_tests=False)
        report = run_monitors(self.target, self.batch_date, config=config)
        if report.delivery_errors:
            raise RuntimeError("monitor alerts were not delivered: " + "; ".join(report.delivery_errors))
        with self.client() as client:
            meta.write_state(client, STAGE, self.batch(), "done", meta.batch_load_id(client, self.batch()),
                             self.settings.run_id)
        return len(report.results), len(report.findings)
