"""Run dbt with the Redshift adapter against a PostgreSQL stand-in (Redshift speaks the
PostgreSQL protocol): ``python tests/redshift_standin.py compile --target redshift ...``.
pulse's own RedshiftClient runs on it too (`point_redshift_at_postgres`), for SQL both accept.

dbt-redshift connects through redshift_connector, whose start-up packet carries parameters
PostgreSQL refuses (client_protocol_version...), so its ``connect`` is replaced by a psycopg2
connection whose cursor's ``execute`` returns the cursor, as redshift_connector's does. The
adapter's own macros (relation listing, is_incremental, the dispatch to redshift__*) then run
unchanged, which is what lets ``dbt compile --target redshift`` render every model, test and
analysis, incremental branches included, without a cluster. Compile only: Redshift DDL
(distkey, sortkey, late-binding views) is not something PostgreSQL can run.
"""

import sys

import psycopg2
import psycopg2.extensions
import redshift_connector


class _Cursor(psycopg2.extensions.cursor):
    def execute(self, sql, params=None):
        super().execute(sql, params)
        return self


def _connect(**kwargs):
    return psycopg2.connect(host=kwargs["host"], port=kwargs["port"], user=kwargs["user"],
                            dbname=kwargs["database"], password=kwargs.get("password") or None,
                            cursor_factory=_Cursor)


def point_redshift_at_postgres(patch=setattr) -> None:
    """Make redshift_connector in this process connect to PostgreSQL instead (`patch`: e.g. a
    test's monkeypatch.setattr, to undo it afterwards)."""
    patch(redshift_connector, "connect", _connect)


def add_redshift_functions(host: str, port: int, user: str, dbname: str) -> None:
    """Redshift's getdate() in a PostgreSQL database: the statement's start, in UTC."""
    conn = psycopg2.connect(host=host, port=port, user=user, dbname=dbname)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("create or replace function getdate() returns timestamp language sql stable "
                        "as $$ select (statement_timestamp() at time zone 'UTC')::timestamp $$")
    finally:
        conn.close()


if __name__ == "__main__":
    redshift_connector.connect = _connect
    from dbt.cli.main import cli

    sys.exit(cli())
