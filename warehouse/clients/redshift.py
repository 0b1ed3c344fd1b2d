"""Amazon Redshift: redshift_connector, COPY from an S3 manifest, no enforced keys.

Credentials come only from the environment (PULSE_RS_PASSWORD, PULSE_RS_IAM_ROLE) and never
appear in a message. Locks are files on the scheduling host (Redshift has no advisory locks).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import ClassVar

from warehouse.clients.base import PartitionFiles, SqlClient
from warehouse.target import identifier


def copy_sql(table: str, columns: Sequence[str], manifest_url: str, iam_role: str, fmt: str) -> str:
    """COPY from a Redshift manifest listing the partition's files."""
    if fmt == "parquet":  # Parquet COPY maps columns by position, without a column list
        return f"copy {table} from '{manifest_url}' iam_role '{iam_role}' format as parquet manifest"
    names = ", ".join(identifier(c) for c in columns)
    return (f"copy {table} ({names}) from '{manifest_url}' iam_role '{iam_role}' "
            "format as csv gzip ignoreheader 1 timeformat 'auto' dateformat 'auto' manifest")


class RedshiftClient(SqlClient):
    TYPES: ClassVar[dict[str, str]] = {
        "string": "varchar(65535)", "short_string": "varchar(256)", "timestamp": "timestamp",
        "date": "date", "integer": "bigint", "double": "double precision", "boolean": "boolean"}
    JSON_KEY_ROWS: ClassVar[bool] = False

    def _connect(self):
        import redshift_connector

        password = os.environ.get("PULSE_RS_PASSWORD")
        if not password:
            raise ValueError("set PULSE_RS_PASSWORD to connect to Redshift")
        try:
            return redshift_connector.connect(host=self.target.host, port=self.target.port,
                                              user=self.target.user, database=self.target.dbname,
                                              password=password)
        except Exception as exc:  # the driver's text may carry settings: name the target only
            raise ConnectionError(f"cannot connect to {self.target.describe()}: "
                                  f"{type(exc).__name__}") from None

    def lock_table(self, qualified: str) -> None:
        self.execute(f"lock {qualified}")

    def copy_into(self, table: str, columns: Sequence[tuple[str, str]], files: PartitionFiles) -> None:
        role = os.environ.get("PULSE_RS_IAM_ROLE")
        if not role:
            raise ValueError("set PULSE_RS_IAM_ROLE to the IAM role Redshift COPY assumes")
        self.execute(copy_sql(table, [name for name, _ in columns], files.copy_manifest_url(), role,
                              files.fmt))
