"""Amazon Redshift: redshift_connector, COPY from an S3 manifest, no enforced keys.

Credentials come only from the environment (PULSE_RS_PASSWORD, PULSE_RS_IAM_ROLE) and never
appear in a message. Redshift has no advisory locks: named locks are leases in a table of the
warehouse (warehouse/lease.py), so scheduler hosts exclude each other.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import ClassVar

from warehouse.clients.base import LockSession, PartitionFiles, SqlClient
from warehouse.merge import Step, q, render
from warehouse.merge import qualified as quoted_name
from warehouse.redact import MASK, redact
from warehouse.target import Target

# What a golden file or a log shows in place of the COPY authorization.
AUTH_PLACEHOLDER = "iam_role '<PULSE_RS_IAM_ROLE>'"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def copy_authorization(environ: Mapping[str, str] | None = None) -> tuple[str, list[str]]:
    """(the COPY authorization clause, the secret values in it) from the environment: the IAM
    role Redshift assumes (PULSE_RS_IAM_ROLE, preferred) or the AWS credentials variables."""
    env = os.environ if environ is None else environ
    role = env.get("PULSE_RS_IAM_ROLE")
    if role:
        return f"iam_role {_literal(role)}", [role]
    key, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
    if key and secret:
        clause = f"access_key_id {_literal(key)} secret_access_key {_literal(secret)}"
        token = env.get("AWS_SESSION_TOKEN")
        if token:
            clause += f" session_token {_literal(token)}"
        return clause, [v for v in (key, secret, token) if v]
    raise ValueError("set PULSE_RS_IAM_ROLE to the IAM role Redshift COPY assumes "
                     "(or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)")


def copy_sql(table: str, columns: Sequence[str], manifest_url: str, auth: str, fmt: str) -> str:
    """COPY from a Redshift manifest listing the partition's files (`table` already quoted)."""
    if fmt == "parquet":  # Parquet COPY maps columns by position, without a column list
        return f"copy {table} from {_literal(manifest_url)} {auth} format as parquet manifest"
    names = ", ".join(q(c) for c in columns)
    return (f"copy {table} ({names}) from {_literal(manifest_url)} {auth} "
            "format as csv gzip ignoreheader 1 timeformat 'auto' dateformat 'auto' manifest")


def render_load_sequence(steps: Sequence[Step], columns: Sequence[str], manifest_url: str,
                         fmt: str, auth: str = AUTH_PLACEHOLDER) -> str:
    """The statements Redshift receives for one partition load, as one SQL script (parameters
    inlined), inside the one transaction it runs in."""
    from warehouse.meta import LOAD_AUDIT  # meta imports the clients

    out = ["begin;",
           "-- load ids are max + 1: loads queue on the audit table until this transaction ends",
           f"lock {quoted_name(LOAD_AUDIT.qualified)};",
           "-- (pulse reads the partition's last checksum and the next load id here: meta.py)"]
    for step in steps:
        if step.name == "copy":
            table = step.like[0] if step.like else step.sql.split()[1]
            out.append(copy_sql(table, columns, manifest_url, auth, fmt) + ";")
        else:
            out.append(render(step.sql, step.params) + ";")
    out.append("commit;")
    return "\n".join(out) + "\n"


class CopyFailed(RuntimeError):
    """A Redshift COPY failed (the message names the table and manifest, never a credential)."""


class RedshiftClient(SqlClient):
    TYPES: ClassVar[dict[str, str]] = {
        "string": "varchar(65535)", "short_string": "varchar(256)", "timestamp": "timestamp",
        "date": "date", "integer": "bigint", "double": "double precision", "boolean": "boolean"}
    JSON_KEY_ROWS: ClassVar[bool] = False
    # getdate() is the statement's start in the session time zone (UTC unless changed);
    # now() and current_timestamp are leader-node-only functions that fail next to a table.
    NOW_UTC: ClassVar[str] = "getdate()"

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

    def quote(self, name: str) -> str:
        return q(name)

    def create_schema(self, schema: str) -> None:
        self.execute(f"create schema if not exists {q(schema)}")  # `raw` is reserved on Redshift

    def create_table(self, qualified: str, columns) -> None:
        schema, _, table = qualified.partition(".")
        cols = ",\n  ".join(f"{q(name)} {self.type_name(kind)}{'' if nullable else ' not null'}"
                             for name, kind, nullable in columns)
        self.execute(f"create table if not exists {q(schema)}.{q(table)} (\n  {cols}\n)")

    def lock_table(self, qualified: str) -> None:
        self.execute(f"lock {quoted_name(qualified)}")

    def copy_into(self, table: str, columns: Sequence[tuple[str, str]], files: PartitionFiles) -> None:
        auth, secrets = copy_authorization()
        url = files.copy_manifest_url()
        quoted = table if table.startswith('"') else q(table)
        try:
            self.execute(copy_sql(quoted, [name for name, _ in columns], url, auth, files.fmt))
        except Exception as exc:  # a driver may echo the statement: mask what it carried
            text = redact(str(exc).strip().splitlines()[0] if str(exc).strip() else "")
            for secret in secrets:
                text = text.replace(secret, MASK)
            raise CopyFailed(f"COPY into {table} from {url} failed: {type(exc).__name__}: "
                             f"{text}") from None

    @classmethod
    def lock_session(cls, target: Target) -> LockSession:
        from warehouse.lease import LeaseLockSession  # the lease reads pulse_meta: meta imports the clients

        return LeaseLockSession(target, cls)
