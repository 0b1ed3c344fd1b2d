"""The end-to-end run for a range of batch dates: ingest → load → dbt build.

Each stage is idempotent, so rerunning the same dates changes nothing; a failure stops the
run before anything downstream of it is built.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from ingest.lake import Manifest, open_lake
from ingest.load.loader import LoadResult, load_batches
from ingest.load.warehouse import Target
from ingest.run import IngestOptions, ingest
from pipeline.dbt import run_dbt

log = logging.getLogger(__name__)


def date_range(start: date, end: date) -> list[date]:
    if end < start:
        raise ValueError(f"--to {end} is before --from {start}")
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def dbt_env(target: Target) -> dict[str, str]:
    """Point dbt at the same warehouse the loader wrote (absolute DuckDB path)."""
    env = {"PULSE_TARGET": target.name}
    if target.name == "duckdb":
        env["PULSE_DUCKDB_PATH"] = str(Path(target.duckdb_path).resolve())
    else:
        prefix = "PULSE_PG_" if target.name == "postgres" else "PULSE_RS_"
        env.update({prefix + "HOST": target.host, prefix + "PORT": str(target.port),
                    prefix + "USER": target.user, prefix + "DBNAME": target.dbname})
    return env


@dataclass
class RunResult:
    manifests: dict[str, dict[str, Manifest]] = field(default_factory=dict)  # batch -> table ->
    loads: list[LoadResult] = field(default_factory=list)


def run_pipeline(raw_dir: str | Path, lake_uri: str | Path, start: date, end: date,
                 target: Target, options: IngestOptions = IngestOptions(),
                 full_refresh: bool = False, build_dbt: bool = True) -> RunResult:
    dates = date_range(start, end)
    result = RunResult()
    log.info("ingest %d batch(es) %s..%s with the %s runner", len(dates), start, end,
             options.runner)
    result.manifests = ingest(raw_dir, lake_uri, dates, options)
    result.loads = load_batches(target, open_lake(lake_uri), sorted(result.manifests))
    if build_dbt:
        args = ["build", "--fail-fast"] + (["--full-refresh"] if full_refresh else [])
        run_dbt(args, target=target.name, env=dbt_env(target))
    return result
