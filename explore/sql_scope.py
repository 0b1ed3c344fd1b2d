"""Which lake tables a statement reads, and which batch dates it can read from each.

A session over the lake creates a table's view only when a statement names the table, over
only the partitions the statement's literal ``batch_date`` bounds can match. The reading is
conservative: whatever it cannot be sure of widens the answer (every partition of a table,
or every table), never narrows it, so a statement sees exactly the rows it would see over
views of the whole lake.

DuckDB parses the SQL (``json_serialize_sql``). A table reference is bounded only when it is
the sole ``FROM`` item of a ``SELECT`` whose ``WHERE`` holds, as a top-level ``AND`` term, a
comparison of that table's ``batch_date`` (unqualified, or qualified by its name or alias)
with a date literal (``'2026-11-01'``, ``date '2026-11-01'``, ``'2026-11-01'::date``): ``=``,
``<``, ``<=``, ``>``, ``>=``, ``between``, ``in (...)``. A table referenced several times gets
the span that holds every reference's (one unbounded reference: every partition).
Each statement is read on its own. One DuckDB cannot serialise (anything but ``SELECT``:
``describe``, ``copy``, ``create``...) falls back to ``duckdb.get_table_names`` with every
partition, and SQL it cannot parse at all (or that names tables in strings,
``query_table('events')``) to every table.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import duckdb
import orjson

PARTITION_COLUMN = "batch_date"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Table functions that read a table named in a string: the names cannot be seen in the SQL.
_BY_NAME = {"query_table", "query"}
_FLIP = {"COMPARE_EQUAL": "COMPARE_EQUAL", "COMPARE_LESSTHAN": "COMPARE_GREATERTHAN",
         "COMPARE_GREATERTHAN": "COMPARE_LESSTHAN",
         "COMPARE_LESSTHANOREQUALTO": "COMPARE_GREATERTHANOREQUALTO",
         "COMPARE_GREATERTHANOREQUALTO": "COMPARE_LESSTHANOREQUALTO"}
_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class DateSpan:
    """Batch dates from ``first`` to ``last`` (inclusive; None: unbounded on that side)."""

    first: dt.date | None = None
    last: dt.date | None = None

    @property
    def empty(self) -> bool:
        return self.first is not None and self.last is not None and self.first > self.last

    @property
    def whole(self) -> bool:
        return self.first is None and self.last is None

    def holds(self, day: dt.date) -> bool:
        return ((self.first is None or day >= self.first) and (self.last is None or day <= self.last)
                and not self.empty)

    def covers(self, other: DateSpan) -> bool:
        """Every date ``other`` holds, this span holds."""
        if other.empty:
            return True
        if self.empty:
            return False
        return ((self.first is None or (other.first is not None and other.first >= self.first))
                and (self.last is None or (other.last is not None and other.last <= self.last)))

    def hull(self, other: DateSpan) -> DateSpan:
        """The smallest span holding both."""
        if self.empty:
            return other
        if other.empty:
            return self
        first = None if self.first is None or other.first is None else min(self.first, other.first)
        last = None if self.last is None or other.last is None else max(self.last, other.last)
        return DateSpan(first, last)

    def meet(self, other: DateSpan) -> DateSpan:
        """The dates both hold (``and`` of two conditions)."""
        firsts = [d for d in (self.first, other.first) if d is not None]
        lasts = [d for d in (self.last, other.last) if d is not None]
        return DateSpan(max(firsts) if firsts else None, min(lasts) if lasts else None)

    def __str__(self) -> str:
        return f"{self.first or '..'} to {self.last or '..'}"


ALL = DateSpan()


def scope(sql: str, tables: Iterable[str],
          con: duckdb.DuckDBPyConnection | None = None) -> dict[str, DateSpan]:
    """The lake tables (of ``tables``) the SQL reads, each with the batch dates it can read.

    ``con`` parses the SQL (any connection: parsing reads no catalog); a new one if not given.
    """
    tables = {t.lower() for t in tables}
    everything = dict.fromkeys(sorted(tables), ALL)
    parser = con if con is not None else duckdb.connect()
    try:
        tree = _serialise(sql, parser)  # every statement a SELECT: one parse
        if tree is not None:
            found = _select_scope(tree, tables)
            return everything if found is None else dict(sorted(found.items()))
        try:
            statements = [s.query for s in parser.extract_statements(sql)]
        except duckdb.Error:
            return everything
        spans: dict[str, DateSpan] = {}
        for text in statements:
            found = _statement_scope(text, tables, parser)
            if found is None:
                return everything
            for name, span in found.items():
                spans[name] = spans[name].hull(span) if name in spans else span
        return dict(sorted(spans.items()))
    finally:
        if con is None:
            parser.close()


def _statement_scope(sql: str, tables: set[str],
                     con: duckdb.DuckDBPyConnection) -> dict[str, DateSpan] | None:
    """One statement's tables and spans; None when its tables cannot be told."""
    tree = _serialise(sql, con)
    if tree is not None:
        return _select_scope(tree, tables)
    try:  # not a SELECT: the names only, every partition
        named = {t.lower() for t in duckdb.get_table_names(sql)}
    except duckdb.Error:
        return None
    return {t: ALL for t in tables & named}


def _serialise(sql: str, con: duckdb.DuckDBPyConnection) -> dict | None:
    """DuckDB's parse tree of SELECT statements; None for anything else."""
    try:
        tree = orjson.loads(con.execute("select json_serialize_sql(?)", [sql]).fetchone()[0])
    except (duckdb.Error, orjson.JSONDecodeError):
        return None
    return None if not isinstance(tree, dict) or tree.get("error") else tree


def _select_scope(tree: dict, tables: set[str]) -> dict[str, DateSpan] | None:
    """The tables and spans of serialised SELECT statements; None when they cannot be told."""
    spans: dict[str, DateSpan] = {}
    bounded: dict[int, DateSpan] = {}  # id(BASE_TABLE node) -> its bound, set by its SELECT
    for node in _nodes(tree):
        kind = node.get("type")
        if kind == "TABLE_FUNCTION" and _function_name(node) in _BY_NAME:
            return None
        if kind == "SELECT_NODE":
            source = node.get("from_table")
            if isinstance(source, dict) and source.get("type") == "BASE_TABLE" \
                    and node.get("sample") is None:
                bounded[id(source)] = _bound(node.get("where_clause"), source)
        elif kind == "BASE_TABLE":
            name = str(node.get("table_name", "")).lower()
            if name not in tables or node.get("schema_name", "") not in ("", "main") \
                    or node.get("catalog_name", "") not in ("", "memory"):
                continue
            plain = node.get("sample") is None and node.get("at_clause") is None
            span = bounded.get(id(node), ALL) if plain else ALL
            spans[name] = spans[name].hull(span) if name in spans else span
    return spans


def _nodes(tree: object) -> Iterator[dict]:
    """Every dict in the tree, parents before their children (a SELECT before its FROM)."""
    stack = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def _function_name(node: dict) -> str:
    function = node.get("function") or {}
    return str(function.get("function_name", "")).lower()


def _bound(where: dict | None, table: dict) -> DateSpan:
    """The batch dates a WHERE clause lets through for the table it filters (ALL: any)."""
    if not isinstance(where, dict):
        return ALL
    kind = where.get("type")
    if kind == "CONJUNCTION_AND":
        span = ALL
        for child in where.get("children", []):
            span = span.meet(_bound(child, table))
        return span
    if kind in _FLIP:
        left, right = where.get("left"), where.get("right")
        if _is_partition(left, table) and (day := _date(right)) is not None:
            return _compare(kind, day)
        if _is_partition(right, table) and (day := _date(left)) is not None:
            return _compare(_FLIP[kind], day)
        return ALL
    if kind == "COMPARE_BETWEEN" and _is_partition(where.get("input"), table):
        low, high = _date(where.get("lower")), _date(where.get("upper"))
        return DateSpan(low, high)  # an unreadable side stays open
    if kind == "COMPARE_IN":
        children = where.get("children") or [None]
        days = [_date(v) for v in children[1:]]
        if _is_partition(children[0], table) and days and None not in days:
            return DateSpan(min(days), max(days))
    return ALL


def _compare(kind: str, day: dt.date) -> DateSpan:
    """The dates ``batch_date <kind> day`` holds."""
    return {"COMPARE_EQUAL": DateSpan(day, day),
            "COMPARE_LESSTHAN": DateSpan(None, day - _DAY),
            "COMPARE_LESSTHANOREQUALTO": DateSpan(None, day),
            "COMPARE_GREATERTHAN": DateSpan(day + _DAY, None),
            "COMPARE_GREATERTHANOREQUALTO": DateSpan(day, None)}[kind]


def _is_partition(expr: object, table: dict) -> bool:
    """A reference to the filtered table's own batch_date column."""
    if not isinstance(expr, dict) or expr.get("type") != "COLUMN_REF":
        return False
    names = [str(n).lower() for n in expr.get("column_names", [])]
    if names == [PARTITION_COLUMN]:
        return True
    own = str(table.get("alias") or table.get("table_name", "")).lower()
    return len(names) == 2 and names == [own, PARTITION_COLUMN]


def _date(expr: object) -> dt.date | None:
    """The date of a literal ``'YYYY-MM-DD'``, or of one cast to DATE; None for anything else."""
    if not isinstance(expr, dict):
        return None
    if expr.get("type") == "OPERATOR_CAST":
        target = expr.get("type_expr") or expr.get("cast_type") or {}
        name = str(target.get("type_name") or target.get("id") or "").lower()
        if name != "date" or expr.get("try_cast"):
            return None
        return _date(expr.get("child"))
    if expr.get("type") != "VALUE_CONSTANT":
        return None
    literal = expr.get("literal")
    if isinstance(literal, dict):  # {"kind": "STRING", "text": "..."}
        text = literal.get("text") if literal.get("kind") == "STRING" else None
    else:  # {"value": {"type": {"id": "VARCHAR"}, "value": "..."}}
        value = expr.get("value") or {}
        text = value.get("value") if (value.get("type") or {}).get("id") == "VARCHAR" else None
    if not isinstance(text, str) or not _ISO_DATE.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None
