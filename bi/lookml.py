"""Generate a Looker project (LookML) from the dbt manifest and the semantic layer.

Input: ``manifest.json`` and ``semantic_manifest.json`` of a dbt project, as ``dbt parse``
writes them (no warehouse is needed). Output: one view per exposed mart and one model file
with the explores; every file is written with ``lkml.dump`` (docs/bi.md).

- Exposed marts: the ``marts`` models an exposure depends on, plus the ``dim_`` models their
  relationship tests point to.
- Columns come from the models' YAML. Types come from the semantic layer first (its time
  dimensions are dimension groups, its measures' plain columns are numbers), then from the
  name conventions in `column_type` and the small committed map `TYPE_MAP` for names the
  conventions cannot tell. The suite checks every inferred type against the warehouse types
  in ``catalog.json`` (tests/test_bi_lookml.py), so a convention that guesses wrong fails CI.
- Primary keys from ``unique`` tests (a hidden compound key from
  ``unique_combination_of_columns``); measures from the semantic models' measures; explores
  join a fact to the ``dim_`` views its ``relationships`` tests name (many_to_one).
- `generate` fails on a column that a measure, a key or a join needs and the manifest does
  not have, so a rename in dbt breaks generation, and the committed project under
  bi/looker/ stops matching a fresh generation (`check_fresh`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lkml

CONNECTION = "pulse"
MARTS_SCHEMA = "marts"
TIME_TIMEFRAMES = ["raw", "time", "date", "week", "month", "quarter", "year"]
DATE_TIMEFRAMES = ["raw", "date", "week", "month", "quarter", "year"]

# Names the conventions below cannot type (checked against the warehouse catalog in the suite).
TYPE_MAP: dict[str, str] = {
    "dau": "number", "wau": "number", "mau": "number", "calls": "number", "seats": "number",
    "users": "number", "observed": "number", "expected": "number", "score": "number",
    "welch_df": "number", "history_weeks": "number", "current_seats": "number",
    "source_line": "number", "load_id": "number", "max_load_id": "number",
    "step_number": "number", "paying_workspaces": "number",
    "conversion_from_start": "number", "conversion_from_previous": "number",
    "session_key": "id",
    "non_inferiority_margin": "number", "prior_lift_sd": "number", "chance_to_win": "number",
    "risk_control": "number", "risk_treatment": "number", "credible_low": "number",
    "credible_high": "number", "guardrail_breached": "yesno",
    "slice_value": "string", "quantile_level": "number",
}
_NUMBER_SUFFIXES = (
    "_count", "_cents", "_ms", "_seconds", "_users", "_days", "_conversions", "_rate", "_ratio",
    "_share", "_rank", "_since_cohort", "_size", "_value", "_lift", "_mean", "_variance",
    "_bound", "_calls", "_dau_mau", "_dau_wau", "_p_value", "_ci_low", "_ci_high",
)
_DATE = re.compile(r"(_date|_day|_week|_month|^month_start|^week_start)$")
_BOOLEAN = re.compile(r"(^|_)(is|has)_")
_HIDDEN = {"load_id", "max_load_id", "source_file", "source_line"}


class LookmlError(ValueError):
    """The manifest cannot give a consistent Looker project (a needed column is missing)."""


def column_type(name: str, semantic_hint: str | None = None) -> str:
    """Looker type of a mart column: time | date | yesno | id | number | string.

    Order: TYPE_MAP, the semantic layer's hint, then the conventions (``_at`` timestamp,
    ``_date``/``_day``/``_week``/``_month``/``month_start``/``week_start`` date,
    ``is_``/``has_`` yesno, ``_id`` id, numeric suffixes such as ``_count``/``_cents``/``_ms``),
    else string.
    """
    if name in TYPE_MAP:
        return TYPE_MAP[name]
    if semantic_hint:
        return semantic_hint
    if name.endswith("_at"):
        return "time"
    if _DATE.search(name):
        return "date"
    if _BOOLEAN.search(name):
        return "yesno"
    if name.endswith("_id"):
        return "id"
    if name.endswith(_NUMBER_SUFFIXES) or name.startswith("p_value"):
        return "number"
    return "string"


def _clean(text: str | None) -> str:
    # lkml.load keeps backslash escapes, so a description with double quotes would not round-trip
    return " ".join((text or "").split()).replace('"', "'")


@dataclass
class Model:
    unique_id: str
    name: str
    schema: str
    alias: str
    description: str
    columns: dict[str, str]                       # name -> description, YAML order
    primary_key: list[str] = field(default_factory=list)
    relationships: list[tuple[str, str, str]] = field(default_factory=list)  # column, to model, to field


def _models(manifest: dict[str, Any]) -> dict[str, Model]:
    nodes = manifest["nodes"]
    models = {n["unique_id"]: Model(n["unique_id"], n["name"], n["schema"], n.get("alias") or n["name"],
                                    n.get("description", ""),
                                    {c: (v.get("description") or "")
                                     for c, v in n.get("columns", {}).items()})
              for n in nodes.values() if n["resource_type"] == "model"}
    by_name = {m.name: m for m in models.values()}
    for test in nodes.values():
        if test["resource_type"] != "test" or "test_metadata" not in test:
            continue
        meta = test["test_metadata"]
        model_id = test.get("attached_node") or next(
            (d for d in test["depends_on"]["nodes"] if d in models), None)
        if model_id not in models:
            continue
        model, kwargs = models[model_id], meta.get("kwargs", {})
        column = test.get("column_name") or kwargs.get("column_name")
        if meta["name"] == "unique" and column:
            model.primary_key = [column]
        elif meta["name"] == "unique_combination_of_columns" and not model.primary_key:
            model.primary_key = list(kwargs.get("combination_of_columns") or [])
        elif meta["name"] == "relationships" and column:
            match = re.search(r"ref\(['\"](\w+)['\"]\)", str(kwargs.get("to", "")))
            if match and match.group(1) in by_name:
                model.relationships.append((column, match.group(1), kwargs.get("field")))
    return models


def _exposed(manifest: dict[str, Any], models: dict[str, Model]) -> list[Model]:
    wanted: set[str] = set()
    for exposure in manifest.get("exposures", {}).values():
        wanted.update(d for d in exposure["depends_on"]["nodes"] if d in models)
    marts = {uid for uid in wanted if models[uid].schema == MARTS_SCHEMA}
    by_name = {m.name: m for m in models.values()}
    for uid in sorted(marts):
        for _, to, _ in models[uid].relationships:
            if to.startswith("dim_") and by_name[to].schema == MARTS_SCHEMA:
                marts.add(by_name[to].unique_id)
    return sorted((models[u] for u in marts), key=lambda m: m.name)


def _semantic_by_model(semantic: dict[str, Any], models: dict[str, Model]) -> dict[str, list[dict]]:
    by_relation = {(m.schema, m.alias): m.name for m in models.values()}
    out: dict[str, list[dict]] = {}
    for sm in semantic.get("semantic_models", []):
        ref = sm["node_relation"]
        name = by_relation.get((ref["schema_name"], ref["alias"]))
        if name:
            out.setdefault(name, []).append(sm)
    return out


_MEASURE_TYPES = {"sum": "sum", "count_distinct": "count_distinct", "average": "average",
                  "min": "min", "max": "max", "median": "median", "percentile": "percentile",
                  "sum_boolean": "sum", "count": "count_distinct"}


def _sql(expr: str, columns: dict[str, str], where: str) -> str:
    """Semantic-layer SQL over bare column names -> LookML over ${TABLE}."""
    unknown = []

    def sub(match: re.Match) -> str:
        word = match.group(0)
        if word in columns:
            return "${TABLE}." + word
        if word.lower() not in _SQL_WORDS and not word[0].isdigit():
            unknown.append(word)
        return word

    text = re.sub(r"'[^']*'|\b[A-Za-z_][A-Za-z0-9_]*\b",
                  lambda m: m.group(0) if m.group(0).startswith("'") else sub(m), expr)
    if unknown:
        raise LookmlError(f"{where}: expression {expr!r} uses {', '.join(sorted(set(unknown)))}, "
                          "not a column of the model in the manifest (renamed or dropped?)")
    return text


_SQL_WORDS = {"case", "when", "then", "else", "end", "and", "or", "not", "is", "null", "true", "false",
              "in", "cast", "as", "double", "precision", "coalesce", "nullif", "distinct", "like"}


def _semantic_hints(sms: list[dict]) -> tuple[dict[str, str], list[dict]]:
    hints: dict[str, str] = {}
    for sm in sms:
        for dim in sm.get("dimensions", []):
            column = dim.get("expr") or dim["name"]
            if dim["type"] == "time" and re.fullmatch(r"\w+", column):
                hints[column] = "time" if column.endswith("_at") else "date"
        for measure in sm.get("measures", []):
            column = measure.get("expr") or measure["name"]
            if re.fullmatch(r"\w+", column) and measure["agg"] in ("sum", "average", "min", "max",
                                                                   "median", "percentile"):
                hints.setdefault(column, "number")
    return hints, [m for sm in sms for m in sm.get("measures", [])]


def _view(model: Model, sms: list[dict]) -> dict[str, Any]:
    hints, measures = _semantic_hints(sms)
    where = f"model {model.name}"
    for column in model.primary_key:
        if column not in model.columns:
            raise LookmlError(f"{where}: primary key column {column!r} is not in the manifest")
    dimensions, groups = [], []
    single_pk = model.primary_key[0] if len(model.primary_key) == 1 else None
    if len(model.primary_key) > 1:
        parts = " || '|' || ".join(f"coalesce(cast(${{TABLE}}.{c} as varchar), '')"
                                   for c in model.primary_key)
        dimensions.append({"name": "primary_key", "type": "string", "primary_key": "yes", "hidden": "yes",
                           "sql": parts,
                           "description": f"Compound primary key: {', '.join(model.primary_key)}."})
    taken = set(model.columns)
    for column, description in model.columns.items():
        kind = column_type(column, hints.get(column))
        if kind in ("time", "date"):
            stem = column[:-3] if kind == "time" else re.sub(r"_date$", "", column)
            name = stem if stem and stem != column and stem not in taken else column
            taken.add(name)
            group = {"name": name, "type": "time",
                     "timeframes": TIME_TIMEFRAMES if kind == "time" else DATE_TIMEFRAMES,
                     "sql": "${TABLE}." + column, "convert_tz": "no"}
            if kind == "date":
                group["datatype"] = "date"
            if description:
                group["description"] = _clean(description)
            groups.append(group)
            continue
        dim: dict[str, Any] = {"name": column,
                               "type": {"id": "string"}.get(kind, kind),
                               "sql": "${TABLE}." + column}
        if column == single_pk:
            dim["primary_key"] = "yes"
        if kind == "id" or column in _HIDDEN:
            dim["hidden"] = "yes"
        if description:
            dim["description"] = _clean(description)
        dimensions.append(dim)
    looker_measures = [{"name": "count", "type": "count", "description": f"Rows of {model.name}."}]
    for m in sorted(measures, key=lambda m: m["name"]):
        expr = m.get("expr") or m["name"]
        name = f"total_{m['name']}" if m["name"] in taken or m["name"] == "count" else m["name"]
        measure: dict[str, Any] = {"name": name, "type": _MEASURE_TYPES[m["agg"]],
                                   "sql": _sql(expr, model.columns, f"{where}, measure {m['name']}")}
        if m["agg"] == "count":
            measure["type"] = "number"
            measure["sql"] = f"count({measure['sql']})"
        if m["agg"] == "percentile":
            measure["percentile"] = str(round(float(m["agg_params"]["percentile"]) * 100))
        text = _clean(m.get("description"))
        if m.get("non_additive_dimension"):
            nad = m["non_additive_dimension"]["name"]
            text += f" Semi-additive over {nad}: filter {nad} to one day (e.g. a month end)."
        measure["description"] = (text + " (from the dbt semantic layer)").strip()
        looker_measures.append(measure)
    view: dict[str, Any] = {"name": model.name, "sql_table_name": f"{model.schema}.{model.alias}"}
    if model.description:
        view["description"] = _clean(model.description)
    view["dimensions"] = dimensions
    if groups:
        view["dimension_groups"] = groups
    view["measures"] = looker_measures
    return view


def _explores(views: list[Model], by_name: dict[str, Model]) -> list[dict[str, Any]]:
    exposed = {m.name for m in views}
    explores = []
    for model in views:
        explore: dict[str, Any] = {"name": model.name}
        if model.description:
            explore["description"] = _clean(model.description)
        joins = []
        for column, to, to_field in sorted(set(model.relationships)):
            if to == model.name or to not in exposed or not to.startswith("dim_"):
                continue
            for side, name, col in ((model, model.name, column), (by_name[to], to, to_field)):
                if col not in side.columns:
                    raise LookmlError(
                        f"explore {model.name}: join column {name}.{col} is not in the manifest")
            joins.append({"name": to, "type": "left_outer", "relationship": "many_to_one",
                          "sql_on": f"${{{model.name}.{column}}} = ${{{to}.{to_field}}}"})
        for dim in views:
            # a dim_ model whose primary key has a relationships test to this fact joins it too
            for column, to, to_field in dim.relationships:
                if (to == model.name and dim.name.startswith("dim_") and dim.primary_key == [column]
                        and to_field in model.columns
                        and all(j["name"] != dim.name for j in joins)):
                    joins.append({"name": dim.name, "type": "left_outer", "relationship": "many_to_one",
                                  "sql_on": f"${{{model.name}.{to_field}}} = ${{{dim.name}.{column}}}"})
        if joins:
            explore["joins"] = sorted(joins, key=lambda j: j["name"])
        explores.append(explore)
    return explores


def generate(manifest: dict[str, Any], semantic: dict[str, Any]) -> dict[str, str]:
    """The Looker project as {relative path: file text}."""
    models = _models(manifest)
    views = _exposed(manifest, models)
    if not views:
        raise LookmlError("no exposed marts: the manifest has no exposure depending on a marts model")
    by_name = {m.name: m for m in models.values()}
    semantic_by_model = _semantic_by_model(semantic, models)
    files: dict[str, str] = {}
    for model in views:
        files[f"views/{model.name}.view.lkml"] = lkml.dump(
            {"views": [_view(model, semantic_by_model.get(model.name, []))]}) + "\n"
    project = {"connection": CONNECTION, "week_start_day": "monday",
               "includes": ["/views/*.view.lkml"], "explores": _explores(views, by_name)}
    header = ("# Generated by `pulse lookml` from the dbt manifest and semantic layer; do not edit.\n"
              "# Regenerate: pulse lookml --out bi/looker (docs/bi.md).\n")
    files["pulse.model.lkml"] = header + lkml.dump(project) + "\n"
    return files


def load_artifacts(target_path: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    target_path = Path(target_path)
    return (json.loads((target_path / "manifest.json").read_text()),
            json.loads((target_path / "semantic_manifest.json").read_text()))


def write(files: dict[str, str], out: str | Path) -> list[Path]:
    """Write the project into `out`, removing generated files that are no longer produced."""
    out = Path(out)
    for old in out.rglob("*.lkml"):
        if str(old.relative_to(out)) not in files:
            old.unlink()
    written = []
    for rel, text in sorted(files.items()):
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written


def check_fresh(files: dict[str, str], committed: str | Path) -> list[str]:
    """Differences between a fresh generation and the committed project (empty when fresh)."""
    committed = Path(committed)
    on_disk = {str(p.relative_to(committed)): p.read_text() for p in committed.rglob("*.lkml")}
    problems = [f"missing {rel}" for rel in sorted(set(files) - set(on_disk))]
    problems += [f"stale {rel} (no longer generated)" for rel in sorted(set(on_disk) - set(files))]
    problems += [f"differs {rel}" for rel in sorted(set(files) & set(on_disk)) if files[rel] != on_disk[rel]]
    return problems
