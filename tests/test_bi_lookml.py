"""The generated Looker project: every file round-trips through lkml, the committed project
under bi/looker/ equals a fresh generation from `dbt parse` (no warehouse), and renaming or
dropping a column an explore uses breaks generation."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import lkml
import pytest

from bi.lookml import LookmlError, check_fresh, column_type, generate, load_artifacts, write
from tests.bi_support import dbt_artifacts
from warehouse.dbt import project_dir
from warehouse.target import Target

COMMITTED = project_dir() / "bi" / "looker"


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> tuple[dict, dict]:
    # dbt parse only: no warehouse is opened (the DuckDB file need not exist)
    work = tmp_path_factory.mktemp("bi-lookml")
    target = Target("duckdb", duckdb_path=str(work / "never-created.duckdb"))
    path = dbt_artifacts(target, work / "dbt-target")
    assert not (work / "never-created.duckdb").exists()
    return load_artifacts(path)


@pytest.fixture(scope="module")
def files(artifacts) -> dict[str, str]:
    return generate(*artifacts)


def test_committed_lookml_is_fresh(files):
    problems = check_fresh(files, COMMITTED)
    assert not problems, ("bi/looker/ is stale, run `pulse lookml --out bi/looker`:\n" + "\n".join(problems))


def test_every_file_round_trips_through_lkml(files, tmp_path):
    write(files, tmp_path)
    paths = sorted(tmp_path.rglob("*.lkml"))
    assert len(paths) == len(files) >= 10
    for path in paths:
        text = path.read_text()
        parsed = lkml.load(text)
        body = text.split("\n", 2)[2] if text.startswith("#") else text
        assert lkml.dump(parsed) + "\n" == body, path.name
        assert lkml.load(lkml.dump(parsed)) == parsed, path.name


def test_views_explores_keys_and_measures(files):
    model = lkml.load(files["pulse.model.lkml"])
    assert model["week_start_day"] == "monday"
    explores = {e["name"]: e for e in model["explores"]}
    views = {}
    for rel, text in files.items():
        if rel.startswith("views/"):
            (view,) = lkml.load(text)["views"]
            views[view["name"]] = view
    assert set(explores) == set(views)
    sessions = explores["fct_sessions"]
    assert [j["name"] for j in sessions["joins"]] == ["dim_users"]
    assert sessions["joins"][0]["sql_on"] == "${fct_sessions.user_id} = ${dim_users.user_id}"
    assert [j["name"] for j in explores["fct_workspace_mrr_daily"]["joins"]] == ["dim_workspaces"]
    users = {d["name"]: d for d in views["dim_users"]["dimensions"]}
    assert users["user_id"]["primary_key"] == "yes" and users["user_id"]["hidden"] == "yes"
    assert users["country"]["description"]
    groups = {g["name"]: g for g in views["dim_users"]["dimension_groups"]}
    assert "time" in groups["signed_up"]["timeframes"] and groups["signup"]["datatype"] == "date"
    mrr = views["fct_workspace_mrr_daily"]
    assert {d["name"]: d for d in mrr["dimensions"]}["is_paying"]["type"] == "yesno"
    assert {d["name"] for d in mrr["dimensions"] if d.get("primary_key") == "yes"} == {"primary_key"}
    measures = {m["name"]: m for m in views["fct_sessions"]["measures"]}
    assert measures["session_duration_p90"]["type"] == "percentile"
    assert measures["session_duration_p90"]["percentile"] == "90"
    assert measures["session_duration_median"]["type"] == "median"
    assert "Semi-additive" in {m["name"]: m for m in mrr["measures"]}["total_mrr_cents"]["description"]


def _renamed(artifacts, model: str, old: str, new: str | None):
    manifest, semantic = copy.deepcopy(artifacts)
    node = next(n for n in manifest["nodes"].values()
                if n.get("name") == model and n["resource_type"] == "model")
    info = node["columns"].pop(old)
    if new:
        node["columns"][new] = {**info, "name": new}
    return manifest, semantic


def test_dropping_a_joined_column_fails_generation(artifacts):
    with pytest.raises(LookmlError, match=r"fct_sessions\.user_id"):
        generate(*_renamed(artifacts, "fct_sessions", "user_id", None))
    with pytest.raises(LookmlError, match="primary key column 'user_id'"):
        generate(*_renamed(artifacts, "dim_users", "user_id", "id"))


def test_renaming_a_measure_column_fails_generation(artifacts):
    with pytest.raises(LookmlError, match="duration_seconds"):
        generate(*_renamed(artifacts, "fct_sessions", "duration_seconds", "duration_s"))


def test_renaming_any_exposed_column_makes_the_committed_project_stale(artifacts):
    renamed = generate(*_renamed(artifacts, "rpt_active_users_daily", "wau", "weekly_active_users"))
    assert check_fresh(renamed, COMMITTED) == ["differs views/rpt_active_users_daily.view.lkml"]


@pytest.mark.parametrize("name,kind", [
    ("event_at", "time"), ("signup_date", "date"), ("cohort_week", "date"), ("month_start", "date"),
    ("is_paying", "yesno"), ("ts_has_offset", "yesno"), ("user_id", "id"), ("mrr_cents", "number"),
    ("dau", "number"), ("stickiness_dau_mau", "number"), ("plan", "string"), ("experiment_key", "string")])
def test_column_type_conventions(name, kind):
    assert column_type(name) == kind


def test_cli_writes_and_checks(artifacts, tmp_path):
    import argparse

    from pipeline.commands import lookml as command

    manifest_dir = tmp_path / "artifacts"
    manifest_dir.mkdir()
    for name, data in zip(("manifest.json", "semantic_manifest.json"), artifacts, strict=True):
        (manifest_dir / name).write_text(json.dumps(data))
    parser = argparse.ArgumentParser()
    command.register(parser.add_subparsers())
    out = tmp_path / "looker"
    args = parser.parse_args(["lookml", "--out", str(out), "--manifest-dir", str(manifest_dir)])
    assert args.func(args) == 0
    assert (out / "pulse.model.lkml").exists()
    check = parser.parse_args(["lookml", "--out", str(out), "--manifest-dir", str(manifest_dir), "--check"])
    assert check.func(check) == 0
    (out / "views" / "dim_users.view.lkml").write_text("view: dim_users {}\n")
    assert check.func(check) == 1
    assert Path(out).is_dir()
