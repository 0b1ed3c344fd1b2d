"""Run the pipeline in a test the way users do: the Luigi graph `pulse run` drives.

`run_graph` builds the `RunRequest`, runs it in-process (Luigi's local scheduler) with every
file it writes (lock files, dbt artifacts, alert log, run log) under the test's `work`
folder, never under the repo's data/, and fails the test with the outcome's message and the
end of the run log unless the run succeeded.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ingest.run import IngestOptions
from pipeline.orchestrate import RunOutcome, RunRequest, log_tail, run_window
from warehouse import Target


def run_graph(raw: str | Path, lake: str | Path, start: date, end: date, target: Target, *,
              work: Path, options: IngestOptions = IngestOptions(), full_refresh: bool = False,
              skip_dbt: bool = False) -> RunOutcome:
    """`pulse run --monitor none` for [start, end]: ingest, load and (unless skip_dbt) dbt
    build, check and publish per date. State, alerts and logs go under `work`."""
    work = Path(work)
    request = RunRequest(raw=str(raw), lake=str(lake), start=start, end=end,
                         target=target, options=options,
                         full_refresh=full_refresh, skip_dbt=skip_dbt,
                         log_dir=str(work / "logs"), monitor="none")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PULSE_STATE_DIR", str(work / "state"))
        mp.setenv("PULSE_ALERT_LOG", str(work / "alerts.log"))
        outcome = run_window(request)
    if outcome.exit_code != 0:
        failures = "\n".join(f"{f['task_id']}: {f['error_type']}: {f['error'][:500]}\n"
                             f"{f.get('output_tail', '')[-1500:]}" for f in outcome.failures)
        pytest.fail(f"pulse run {start}..{end} exited {outcome.exit_code}: {outcome.message}\n"
                    f"{failures}\n--- {outcome.log_file} (tail) ---\n"
                    f"{log_tail(outcome.log_file, lines=60)}", pytrace=False)
    return outcome
