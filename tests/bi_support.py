"""Shared set-up for the BI tests: one small warehouse per test module, and dbt artifacts.

The warehouse is built by the pipeline's own graph (tests.pipeline_runs.run_graph). Where
that helper is not there yet, the same steps run directly (simulate -> ingest -> load ->
dbt build), so the BI checks run on every branch.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from warehouse.target import Target

START = dt.date(2026, 9, 28)   # three days of September, all of October, 1 November
DAYS = 35
USERS = 150
SEED = 11


def build_warehouse(work: Path, target: Target) -> None:
    import simulator

    raw, lake = work / "raw", work / "lake"
    simulator.generate(raw, START, days=DAYS, users=USERS, seed=SEED, progress=False)
    end = START + dt.timedelta(days=DAYS - 1)
    try:
        from tests.pipeline_runs import run_graph
    except ImportError:
        run_graph = None
    if run_graph is not None:
        run_graph(raw, lake, START, end, target, work=work / "work")
        return
    from ingest.lake import open_lake
    from ingest.load.loader import load_batches
    from ingest.run import IngestOptions, ingest
    from warehouse.dbt import run_dbt

    dates = [START + dt.timedelta(days=i) for i in range(DAYS)]
    ingest(raw, lake, dates, IngestOptions(runner="inline"))
    load_batches(target, open_lake(lake), [d.isoformat() for d in dates])
    run_dbt(["build", "--quiet"], target=target, capture=True)


def dbt_artifacts(target: Target, target_path: Path, command: str = "parse") -> Path:
    """Run `dbt <command>` writing its artifacts (manifest, semantic manifest, catalog) to target_path."""
    from warehouse.dbt import run_dbt

    run_dbt([*command.split(), "--quiet", "--target-path", str(target_path)], target=target, capture=True,
            env={"DBT_TARGET_PATH": str(target_path)})
    return target_path


def throwaway_pg_database(pg_server: Target) -> Iterator[Target]:
    """Like conftest's pg_target, for module scope."""
    import psycopg2

    name = f"pulse_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(host=pg_server.host, port=pg_server.port, user=pg_server.user,
                             dbname="postgres", password=os.environ.get("PULSE_PG_PASSWORD"))
    admin.autocommit = True
    admin.cursor().execute(f'create database "{name}"')
    try:
        yield replace(pg_server, dbname=name)
    finally:
        admin.cursor().execute(f'drop database if exists "{name}" with (force)')
        admin.close()
