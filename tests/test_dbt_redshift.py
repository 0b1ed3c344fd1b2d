"""Every model, test and analysis compiles for Redshift and parses as Redshift SQL, without a
cluster: dbt-redshift runs against a PostgreSQL stand-in (tests/redshift_standin.py) whose
tables a PostgreSQL build created first, so is_incremental() is true and the incremental
branches are what gets compiled. The Redshift-only configs (dist/sort, late-binding views,
WLM query group) are checked to be there on Redshift and absent elsewhere.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import sqlfluff
from sqlfluff.core import Linter

from ingest.load.loader import create_raw_tables
from warehouse import meta
from warehouse.clients import PostgresClient
from warehouse.dbt import dbt_executable

ROOT = Path(__file__).resolve().parents[1]
STANDIN = ROOT / "tests" / "redshift_standin.py"
# What PostgreSQL or DuckDB accept and Redshift lacks (or runs on the leader node only): the
# project writes these through redshift__* dispatch macros; none may reach compiled SQL.
REDSHIFT_GAPS = re.compile(
    r"(?i)\b(generate_series|string_agg|array_agg|json_each|json_object_keys|jsonb\w*|unnest|"
    r"regexp_matches|to_jsonb?|json_build_\w+|json_agg)\s*\(|filter\s*\(\s*where|::jsonb?\b|"
    r"\bdistinct\s+on\s*\(|\blateral\b")


def profiles(folder: Path, dbname: str) -> Path:
    outputs = {
        "postgres": {"type": "postgres", "host": "127.0.0.1", "port": 5432, "user": "postgres",
                     "password": "", "dbname": dbname, "schema": "public", "threads": 2},
        "redshift": {"type": "redshift", "host": "127.0.0.1", "port": 5432, "user": "postgres",
                     "password": "unused", "dbname": dbname, "schema": "public", "threads": 1,
                     "sslmode": "disable"},
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "profiles.yml").write_text(json.dumps({"pulse": {"target": "postgres",
                                                                "outputs": outputs}}))
    return folder


def dbt(tmp_path: Path, command: str, target: str, *args: str, env: dict | None = None) -> str:
    """``dbt <command> --target <target>``; the redshift target runs through the stand-in.
    Artifacts go to tmp_path/<target>, the log to tmp_path/logs-<target>-<command>."""
    program = [sys.executable, str(STANDIN)] if target == "redshift" else [dbt_executable()]
    run = subprocess.run([*program, command, "--target", target, *args,
                          "--profiles-dir", str(tmp_path / "profiles"),
                          "--target-path", str(tmp_path / target),
                          "--log-path", str(tmp_path / f"logs-{target}-{command}"),
                          "--no-partial-parse"],
                         cwd=ROOT, capture_output=True, text=True, timeout=900,
                         env={**os.environ, **(env or {})})
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    return run.stdout


def model_configs(target_dir: Path) -> dict[str, dict]:
    manifest = json.loads((target_dir / "manifest.json").read_text())
    return {n["name"]: n["config"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}


def test_every_node_compiles_for_redshift_and_parses_as_redshift(tmp_path, pg_target):
    with PostgresClient(pg_target) as client:  # the sources, empty
        meta.setup(client)
        create_raw_tables(client)
    profiles(tmp_path / "profiles", pg_target.dbname)
    dbt(tmp_path, "seed", "postgres")
    dbt(tmp_path, "run", "postgres")
    pg = model_configs(tmp_path / "postgres")
    dbt(tmp_path, "compile", "redshift")
    rs = model_configs(tmp_path / "redshift")

    # Redshift-only configs: there on Redshift, absent on PostgreSQL
    assert (rs["fct_events"]["dist"], rs["fct_events"]["sort"]) == ("user_id", "event_at")
    assert rs["fct_sessions"]["sort"] == "session_date"
    assert rs["rpt_active_users_daily"]["sort"] == "activity_date"
    assert rs["stg_events"]["bind"] is False and rs["int_events_this_run"]["bind"] is False
    for name in ("fct_events", "fct_sessions", "stg_events"):
        assert all(pg[name].get(k) is None for k in ("dist", "sort", "bind")), (name, pg[name])
    # the PostgreSQL run rendered the query-group pre-hook as nothing (dbt skips empty hooks)
    assert "set query_group" not in (tmp_path / "logs-postgres-run" / "dbt.log").read_text()

    compiled = sorted((tmp_path / "redshift" / "compiled" / "pulse").rglob("*.sql"))
    kinds = {p.relative_to(tmp_path / "redshift" / "compiled" / "pulse").parts[0] for p in compiled}
    assert kinds >= {"models", "analyses"} and len(compiled) > 300
    fct_events = (tmp_path / "redshift" / "compiled/pulse/models/marts/core/fct_events.sql").read_text()
    assert "lower_load_id" in fct_events and "dateadd(" in fct_events  # the incremental branch
    linter = Linter(dialect="redshift")
    unparsable, gaps = [], []
    for path in compiled:
        sql = path.read_text()
        violations = linter.parse_string(sql).violations
        if violations:
            unparsable.append(f"{path.name}: {violations[0].desc()}")
        gaps += [f"{path.name}: {m.group(0)}" for m in REDSHIFT_GAPS.finditer(sql)]
    assert unparsable == []
    assert gaps == []


def test_query_group_renders_on_redshift_only(tmp_path, pg_target):
    profiles(tmp_path / "profiles", pg_target.dbname)
    out = dbt(tmp_path, "compile", "redshift", "--inline", "{{ redshift_query_group() }}",
              "--output", "json", env={"PULSE_RS_QUERY_GROUP": "pulse_monitor"})
    assert "set query_group to 'pulse_monitor'" in out
    sqlfluff.parse("set query_group to 'pulse_monitor';", dialect="redshift")
    out = dbt(tmp_path, "compile", "postgres", "--inline", "select 1 {{ redshift_query_group() }}",
              "--output", "json")
    assert "query_group" not in out and '"compiled": "select 1 "' in out
