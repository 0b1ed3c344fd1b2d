"""Helpers shared by the test modules: read query results from a warehouse Target, make
throwaway PostgreSQL databases, and build ingest options for the `engine` fixture.

Each call opens a connection of its own and closes it, so a test never holds the DuckDB file
between statements.  `_rows` is the one place the tests' queries connect.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from ingest.run import IngestOptions
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


def throwaway_database(server: Target) -> Iterator[Target]:
    """A new database on the test PostgreSQL `server`, dropped when the generator is closed."""
    import psycopg2

    name = f"pulse_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(host=server.host, port=server.port, user=server.user,
                             dbname="postgres", password=os.environ.get("PULSE_PG_PASSWORD"))
    admin.autocommit = True
    admin.cursor().execute(f'create database "{name}"')
    try:
        yield replace(server, dbname=name)
    finally:
        admin.cursor().execute(f'drop database if exists "{name}" with (force)')
        admin.close()


def ingest_options(engine: str, **options: Any) -> IngestOptions:
    """IngestOptions for `engine` (the `engine` fixture's value): the mrjob engine runs on its
    inline runner unless `runner` is given, so a test of ingest semantics stays fast."""
    return IngestOptions(engine=engine, **{"runner": "inline", **options})
