"""Tiny read helpers shared by the monitors (one placeholder style on every dialect)."""

from __future__ import annotations

from ingest.load.warehouse import dialect_cursor


def fetch(conn, dialect: str, sql: str, params: list | None = None) -> list[tuple]:
    """Run a query and return all rows; roll back on error so the connection stays usable."""
    cur = dialect_cursor(conn, dialect)
    try:
        cur.execute(sql, params or [])
        return cur.fetchall()
    except Exception:
        conn.rollback()
        raise


def table_exists(conn, dialect: str, schema: str, table: str) -> bool:
    rows = fetch(conn, dialect, "select count(*) from information_schema.tables "
                                "where table_schema = %s and table_name = %s", [schema, table])
    return rows[0][0] > 0
