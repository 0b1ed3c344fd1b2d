"""Analyst-defined log tables: one small declaration → job step, lake partitions, warehouse
table, load and dbt source.

Drop a module in this folder that defines a `LogTable` at module level::

    PERF_TIMINGS = LogTable(
        name="perf_timings",
        description="One row per perf_timing event.",
        events={"perf_timing"},
        columns=[Column("action", "short_string", False, "What was timed."),
                 Column("duration_ms", "double", False, "How long it took.")],
        derive=lambda e: {"action": e.properties["action"],
                          "duration_ms": e.properties["duration_ms"]},
    )

The framework adds the key and lineage columns (event_id first; batch_date, source_file,
source_line last), runs `derive` on every accepted event of the listed names inside the
ingest job (after validation, deduplicated like events), and publishes, loads and documents
the table like `events`. See docs/log-tables.md.

A declaration may also give `sql`, the same one-row-per-event derive as column expressions
(DuckDB SQL over the event's columns as named in `events`; `event_at` is the UTC text
``YYYY-MM-DD HH:MM:SS.ffffff``, `properties` the canonical JSON text), for example
``sql={"action": "properties ->> 'action'", "duration_ms": "properties ->> 'duration_ms'"}``.
The columnar engine then derives whole chunks in DuckDB; each value is cast (try_cast) to the
column's type, and an event on which a not-null column comes out null goes to `derive`, which
reports the error. `derive` stays the definition: the two must give the same rows
(tests/test_log_tables.py compares them for the shipped tables).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

import orjson

from ingest.schema import EVENTS, Column, TableSchema
from warehouse.target import unreserved_identifier

_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
RESERVED = ("event_id", "batch_date", "source_file", "source_line", "_load_id")


class Event(NamedTuple):
    """A validated event as `derive` functions see it (times are UTC)."""

    event_id: str
    event_name: str
    event_at: datetime
    user_id: str | None
    anonymous_id: str | None
    workspace_id: str | None
    client_session_id: str | None
    platform: str | None
    app_version: str | None
    country: str | None
    properties: dict[str, Any]


class DeriveError(ValueError):
    """A derive function returned something that does not fit the declared columns."""


@dataclass(frozen=True)
class LogTable:
    name: str
    description: str
    columns: tuple[Column, ...] | list[Column]
    derive: Callable[[Event], dict | Iterable[dict] | None]
    events: frozenset[str] | set[str] | None = None  # None = every event
    sql: Mapping[str, str] | None = None  # optional vectorised derive: column -> expression
    schema: TableSchema = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name) or self.name == EVENTS.name:
            raise ValueError(f"log table name {self.name!r} must match [a-z][a-z0-9_]* "
                             "and not be 'events'")
        names = [c.name for c in self.columns]
        clash = sorted(set(names) & set(RESERVED)) or sorted({n for n in names if names.count(n) > 1})
        if clash:
            raise ValueError(f"log table {self.name}: column(s) {clash} are reserved or repeated")
        unreserved_identifier(self.name, "log table name")
        for c in self.columns:
            if not _NAME.fullmatch(c.name):
                raise ValueError(f"log table {self.name}: bad column name {c.name!r}")
            unreserved_identifier(c.name, f"log table {self.name}: column")
        if self.sql is not None and set(self.sql) != set(names):
            raise ValueError(f"log table {self.name}: sql must give exactly the columns "
                             f"{names}, not {sorted(self.sql)}")
        by_name = {c.name: c for c in EVENTS.columns}
        full = (by_name["event_id"], *self.columns, by_name["batch_date"],
                by_name["source_file"], by_name["source_line"])
        object.__setattr__(self, "columns", tuple(self.columns))
        object.__setattr__(self, "events", frozenset(self.events) if self.events else None)
        object.__setattr__(self, "schema", TableSchema(
            name=self.name, columns=full, description=self.description,
            key=("batch_date", "event_id")))

    def rows(self, event: Event) -> list[list]:
        """Run `derive` and check its output against the declared columns."""
        out = self.derive(event)
        if out is None:
            return []
        records = [out] if isinstance(out, dict) else list(out)
        return [self._row(r) for r in records]

    def _row(self, record: dict) -> list:
        extra = set(record) - {c.name for c in self.columns}
        if extra:
            raise DeriveError(f"unknown column(s) {sorted(extra)}")
        row = []
        for column in self.columns:
            value = record.get(column.name)
            if value is None and not column.nullable:
                raise DeriveError(f"{column.name} is null but declared not null")
            row.append(None if value is None else _coerce(column, value))
        return row


def _coerce(column: Column, value: Any) -> Any:
    kind = column.type
    if kind in ("string", "short_string"):
        if isinstance(value, (dict, list)):
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
        return str(value)
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind == "integer" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "double" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if kind == "timestamp" and isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if kind == "date" and hasattr(value, "isoformat"):
        return value.isoformat()
    raise DeriveError(f"{column.name}: {type(value).__name__} {str(value)[:40]!r} is not {kind}")


@cache
def log_tables() -> dict[str, LogTable]:
    """Every LogTable declared in a module of this package, by name."""
    found: dict[str, LogTable] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, LogTable):
                if value.name in found and found[value.name] is not value:
                    raise ValueError(f"log table {value.name} is declared twice")
                found[value.name] = value
    return dict(sorted(found.items()))


def all_tables() -> dict[str, TableSchema]:
    """Every lake/warehouse table: events first, then the log tables."""
    return {EVENTS.name: EVENTS, **{name: t.schema for name, t in log_tables().items()}}
