"""Shared set-up for the BI tests: one small warehouse per test module, and dbt artifacts.

The warehouse is built by the pipeline's own graph (tests.pipeline_runs.run_graph), the
same path `pulse run` takes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ingest.run import IngestOptions
from warehouse.target import Target

START = dt.date(2026, 9, 28)   # three days of September, all of October, 1 November
DAYS = 35
USERS = 150
SEED = 11


def build_warehouse(work: Path, target: Target) -> None:
    """The BI tests' warehouse, built by the graph `pulse run` drives."""
    import simulator
    from tests.pipeline_runs import run_graph

    raw, lake = work / "raw", work / "lake"
    simulator.generate(raw, START, days=DAYS, users=USERS, seed=SEED, progress=False)
    run_graph(raw, lake, START, START + dt.timedelta(days=DAYS - 1), target, work=work / "work",
              options=IngestOptions(runner="inline"))


def dbt_artifacts(target: Target, target_path: Path, command: str = "parse") -> Path:
    """Run `dbt <command>` writing its artifacts (manifest, semantic manifest, catalog) to target_path."""
    from warehouse.dbt import run_dbt

    run_dbt([*command.split(), "--quiet", "--target-path", str(target_path)], target=target, capture=True,
            env={"DBT_TARGET_PATH": str(target_path)})
    return target_path

