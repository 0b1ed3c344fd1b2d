"""MetricFlow (dbt Semantic Layer) from Python: load, validate, compile and run metric queries.

The `mf` CLI reads ``<project>/target/semantic_manifest.json`` only; pulse's tests (and
parallel sessions) keep dbt's artifacts elsewhere (DBT_TARGET_PATH), so this module loads the
semantic manifest from any path and runs the same checks as ``mf validate-configs
--skip-dw``. Queries are compiled by MetricFlow's engine for the target's SQL dialect and run
on pulse's own connection, so no dbt adapter has to be set up.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from warehouse.locks import connection
from warehouse.target import Target


def load_semantic_manifest(path: str | Path):
    """The semantic manifest from ``semantic_manifest.json`` (a file, or the dbt target folder)."""
    from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest

    path = Path(path)
    if path.is_dir():
        path = path / "semantic_manifest.json"
    return parse_manifest_from_dbt_generated_manifest(manifest_json_string=path.read_text())


@dataclass(frozen=True)
class ValidationReport:
    errors: list[str]
    warnings: list[str]

    @property
    def ok(self) -> bool:
        return not self.errors


def validate(manifest) -> ValidationReport:
    """MetricFlow's semantic validations (what ``mf validate-configs --skip-dw`` runs)."""
    from metricflow_semantic_interfaces.validations.semantic_manifest_validator import (
        SemanticManifestValidator,
    )

    result = SemanticManifestValidator().validate_semantic_manifest(manifest)
    errors = [i.as_readable_str() for i in (*result.errors, *result.future_errors)]
    return ValidationReport(errors=errors, warnings=[i.as_readable_str() for i in result.warnings])


class _RenderOnlyClient:
    """MetricFlow's SqlClient protocol, for compiling only: pulse runs the SQL itself."""

    def __init__(self, target: Target) -> None:
        from metricflow.protocols.sql_client import SqlEngine
        from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer
        from metricflow.sql.render.postgres import PostgresSQLSqlPlanRenderer
        from metricflow.sql.render.redshift import RedshiftSqlPlanRenderer

        renderers = {SqlEngine.DUCKDB: DuckDbSqlPlanRenderer, SqlEngine.POSTGRES: PostgresSQLSqlPlanRenderer,
                     SqlEngine.REDSHIFT: RedshiftSqlPlanRenderer}
        self._engine = SqlEngine[target.name.upper()]  # pulse's target names are MetricFlow's engines
        self._renderer = renderers[self._engine]()

    @property
    def sql_engine_type(self):
        return self._engine

    @property
    def sql_plan_renderer(self):
        return self._renderer

    def query(self, *args: Any, **kwargs: Any):
        raise NotImplementedError("pulse runs MetricFlow's SQL on its own connection")

    execute = dry_run = query

    def close(self) -> None:
        return None

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f":{bind_parameter_key}"


class SemanticLayer:
    """Compile metric queries from a semantic manifest for one warehouse's SQL."""

    def __init__(self, manifest, target: Target) -> None:
        from metricflow.engine.metricflow_engine import MetricFlowEngine
        from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

        self.manifest = manifest
        self.target = target
        self._engine = MetricFlowEngine(SemanticManifestLookup(manifest), _RenderOnlyClient(target))

    def compile(self, metrics: Sequence[str] = (), group_by: Sequence[str] = (),
                where: Sequence[str] = (), order_by: Sequence[str] = (),
                start: dt.date | None = None, end: dt.date | None = None,
                saved_query: str | None = None) -> str:
        from metricflow.engine.metricflow_engine import MetricFlowQueryRequest

        def at(day: dt.date | None) -> dt.datetime | None:
            return None if day is None else dt.datetime(day.year, day.month, day.day)

        request = MetricFlowQueryRequest.create(
            saved_query_name=saved_query,
            metric_names=list(metrics) or None, group_by_names=list(group_by) or None,
            where_constraints=list(where) or None, order_by_names=list(order_by) or None,
            time_constraint_start=at(start), time_constraint_end=at(end))
        return self._engine.explain(request).sql_statement.sql

    def query(self, metrics: Sequence[str] = (), group_by: Sequence[str] = (),
              **kwargs: Any) -> list[dict[str, Any]]:
        """Compile and run a metric query on the warehouse; rows as dicts keyed by output column."""
        return run_sql(self.target, self.compile(metrics, group_by, **kwargs))

    def metric_names(self) -> list[str]:
        return sorted(m.name for m in self.manifest.metrics)


def run_sql(target: Target, sql: str) -> list[dict[str, Any]]:
    """Run a read-only query on the warehouse (through its pulse client); rows as dicts."""
    with connection(target) as client:
        cur = client.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def semantic_manifest_json(path: str | Path) -> dict[str, Any]:
    """The raw semantic_manifest.json (for tools that only read it, like the LookML generator)."""
    path = Path(path)
    return json.loads((path / "semantic_manifest.json" if path.is_dir() else path).read_text())
