"""One SQL client per warehouse (see base.SqlClient)."""

from __future__ import annotations

from warehouse.clients.base import PartitionFiles, SqlClient
from warehouse.clients.duckdb import DuckDBClient
from warehouse.clients.postgres import PostgresClient
from warehouse.clients.redshift import RedshiftClient
from warehouse.target import Target

CLIENTS: dict[str, type[SqlClient]] = {
    "duckdb": DuckDBClient, "postgres": PostgresClient, "redshift": RedshiftClient}


def client_class(target: Target) -> type[SqlClient]:
    return CLIENTS[target.name]


__all__ = ["CLIENTS", "DuckDBClient", "PartitionFiles", "PostgresClient", "RedshiftClient",
           "SqlClient", "client_class"]
