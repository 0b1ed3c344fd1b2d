"""Warehouse connections and settings, taken from the same env vars as profiles.yml.example.

Secrets come only from the environment and never appear in messages.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

TARGETS = ("duckdb", "postgres", "redshift")
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def identifier(name: str) -> str:
    """Validate a SQL identifier that comes from config or code before it reaches SQL."""
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"invalid SQL identifier {name!r}: use [a-z_][a-z0-9_]*")
    return name


@dataclass(frozen=True)
class Target:
    """Where the warehouse is: the dialect plus connection settings (no password kept here)."""

    name: str
    duckdb_path: str = "data/warehouse.duckdb"
    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "postgres"
    dbname: str = "pulse"

    @property
    def dialect(self) -> str:
        return self.name

    def describe(self) -> str:
        if self.name == "duckdb":
            return f"duckdb:{self.duckdb_path}"
        return f"{self.name}://{self.user}@{self.host}:{self.port}/{self.dbname}"


def target_from_env(name: str | None = None) -> Target:
    name = name or os.environ.get("PULSE_TARGET", "duckdb")
    if name not in TARGETS:
        raise ValueError(f"unknown target {name!r}; choose one of {', '.join(TARGETS)}")
    if name == "duckdb":
        return Target(name, duckdb_path=os.environ.get("PULSE_DUCKDB_PATH", "data/warehouse.duckdb"))
    prefix = "PULSE_PG_" if name == "postgres" else "PULSE_RS_"
    default_port = "5432" if name == "postgres" else "5439"
    return Target(
        name,
        host=os.environ.get(prefix + "HOST", "127.0.0.1" if name == "postgres" else ""),
        port=int(os.environ.get(prefix + "PORT", default_port)),
        user=os.environ.get(prefix + "USER", "postgres" if name == "postgres" else ""),
        dbname=os.environ.get(prefix + "DBNAME", "pulse"),
    )


def connect(target: Target):
    """A DB-API connection (autocommit off) to the target."""
    if target.name == "duckdb":
        import duckdb

        Path(target.duckdb_path).parent.mkdir(parents=True, exist_ok=True)
        return duckdb.connect(target.duckdb_path)
    if target.name == "postgres":
        import psycopg2

        try:
            return psycopg2.connect(host=target.host, port=target.port, user=target.user,
                                    dbname=target.dbname, connect_timeout=10,
                                    password=os.environ.get("PULSE_PG_PASSWORD") or None)
        except psycopg2.OperationalError as exc:
            raise ConnectionError(f"cannot connect to {target.describe()}: "
                                  f"{str(exc).strip().splitlines()[0]}") from None
    import redshift_connector

    return redshift_connector.connect(host=target.host, port=target.port, user=target.user,
                                      database=target.dbname,
                                      password=os.environ["PULSE_RS_PASSWORD"])


def dialect_cursor(conn, dialect: str):
    """A cursor whose SQL uses %s placeholders on every dialect (DuckDB wants ?)."""
    if dialect != "duckdb":
        return conn.cursor()
    cur = conn  # a DuckDB cursor is a separate connection with its own transaction

    class _Cursor:
        def execute(self, sql, params=None):
            return cur.execute(sql.replace("%s", "?"), params or [])

        def __getattr__(self, name):
            return getattr(cur, name)

    return _Cursor()
