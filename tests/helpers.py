"""Helpers shared by the test modules: read query results from a warehouse Target.

Each call opens a connection of its own and closes it, so a test never holds the DuckDB file
between statements.  `_rows` is the one place the tests' queries connect.
"""

from __future__ import annotations

from typing import Any

from warehouse import Target, connect


def _rows(target: Target, sql: str) -> tuple[list[str], list[tuple]]:
    """(column names, rows) of `sql` on `target`."""
    with connect(target) as client:
        cur = client.execute(sql)
        return [d[0] for d in cur.description or ()], [tuple(r) for r in cur.fetchall()]


def fetch(target: Target, sql: str) -> list[tuple]:
    """The rows of `sql` on `target`, as tuples."""
    return _rows(target, sql)[1]


def fetch_dicts(target: Target, sql: str) -> list[dict[str, Any]]:
    """The rows of `sql` on `target`, as {column: value} dicts."""
    names, rows = _rows(target, sql)
    return [dict(zip(names, row)) for row in rows]
