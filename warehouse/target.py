"""Where the warehouse is: a `Target` read once from the environment (no secret kept on it).

The connection settings are the same environment variables profiles.yml.example reads, so
pulse and plain `dbt` always talk to the same warehouse.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

TARGETS = ("duckdb", "postgres", "redshift")
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_ENV_PREFIX = {"postgres": "PULSE_PG_", "redshift": "PULSE_RS_"}
_DEFAULT_PORT = {"postgres": 5432, "redshift": 5439}
# dbt scrubs the values of variables named DBT_ENV_SECRET_* from its terminal output and its
# log files, so pulse hands a password to dbt only under such a name (profiles.yml.example
# reads them); users keep setting the PULSE_* names, which dbt's environment does not get.
DBT_SECRET_ENV = {"PULSE_PG_PASSWORD": "DBT_ENV_SECRET_PG_PASSWORD",
                  "PULSE_RS_PASSWORD": "DBT_ENV_SECRET_RS_PASSWORD"}
_PASSWORD_ENV = {"postgres": "PULSE_PG_PASSWORD", "redshift": "PULSE_RS_PASSWORD"}


def dbt_process_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """`environ` (default: this process's) as dbt gets it: every PULSE_* password moved to
    its DBT_ENV_SECRET_* name, so dbt knows it as a secret and masks it wherever it logs."""
    environ = dict(os.environ if environ is None else environ)
    for name, secret_name in DBT_SECRET_ENV.items():
        if name in environ:
            environ.setdefault(secret_name, environ.pop(name))
    return environ


def identifier(name: str) -> str:
    """Validate a SQL identifier that comes from config or code before it reaches SQL."""
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"invalid SQL identifier {name!r}: use [a-z_][a-z0-9_]*")
    return name


def quoted(name: str) -> str:
    """A validated identifier, double-quoted: safe even where a warehouse reserves the word
    (``raw``, pulse's raw schema, is reserved on Redshift)."""
    return f'"{identifier(name)}"'


def quoted_relation(name: str) -> str:
    """``schema.table`` with both parts validated and quoted."""
    return ".".join(quoted(part) for part in name.split("."))


# The schema loads land in (one table per lake table). A reserved word on Redshift, so SQL
# names it only through raw_table().
RAW_SCHEMA = "raw"


def raw_table(table: str) -> str:
    """The quoted relation of a raw table, e.g. ``"raw"."events"``."""
    return quoted_relation(f"{RAW_SCHEMA}.{table}")


# Reserved words DuckDB's keyword list does not reserve: PostgreSQL's SQL-value functions
# (user, current_date...) and Redshift's own (AWS docs, "Reserved words").
EXTRA_RESERVED = frozenset("""
user current_user session_user current_role current_catalog current_schema current_date
current_time current_timestamp localtime localtimestamp
aes128 aes256 allowoverwrite backup blanksasnull bytedict bzip2 credentials current_user_id
defrag deflate delta delta32k disable emptyasnull enable encode encrypt encryption explicit
globaldict256 globaldict64k gzip identity ignore ilike isnull lun luns lzo lzop minus
mostly16 mostly32 mostly8 new notnull nulls off offline oid old open parallel partition
percent permissions pivot raw readratio recover rejectlog resort respect restore
similar snapshot sysdate system tag tdes text255 text32k top truncatecolumns unnest unpivot
verbose wallet without
""".split())  # noqa: SIM905 - the docs list, easy to compare


@functools.cache
def reserved_words() -> frozenset[str]:
    """Words some supported warehouse reserves: DuckDB's reserved and type/function keywords
    (its grammar is PostgreSQL's) plus the extra ones above."""
    import duckdb

    with duckdb.connect() as con:
        rows = con.execute("select keyword_name from duckdb_keywords() "
                           "where keyword_category in ('reserved', 'type_function')").fetchall()
    return frozenset(r[0] for r in rows) | EXTRA_RESERVED


def unreserved_identifier(name: str, what: str) -> str:
    """An identifier declared by a user (a log table or column name): valid, and not a word
    any supported warehouse reserves, refused in one line where it is declared rather than
    failing later inside SQL (pulse does not quote identifiers)."""
    identifier(name)
    if name in reserved_words():
        raise ValueError(f"{what} {name!r} is a reserved SQL word in DuckDB, PostgreSQL or "
                         "Redshift; choose another name (e.g. add a suffix: "
                         f"{name}_value)")
    return name


@dataclass(frozen=True)
class Target:
    """The warehouse kind plus its connection settings (the password stays in the environment)."""

    name: str
    duckdb_path: str = "data/warehouse.duckdb"
    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "postgres"
    dbname: str = "pulse"

    def __post_init__(self) -> None:
        if self.name not in TARGETS:
            raise ValueError(f"unknown target {self.name!r}; choose one of {', '.join(TARGETS)}")

    def describe(self) -> str:
        """A stable, secret-free name for logs, task ids and alerts."""
        if self.name == "duckdb":
            return f"duckdb:{self.duckdb_path}"
        return f"{self.name}://{self.user}@{self.host}:{self.port}/{self.dbname}"

    def dbt_env(self) -> dict[str, str]:
        """Environment that points dbt (profiles.yml.example) at this warehouse. The password
        (read from PULSE_PG_PASSWORD / PULSE_RS_PASSWORD now, never kept on the Target) goes
        only under its DBT_ENV_SECRET_* name, which dbt masks in its output and logs."""
        env = {"PULSE_TARGET": self.name}
        if self.name == "duckdb":
            env["PULSE_DUCKDB_PATH"] = str(Path(self.duckdb_path).resolve())
            return env
        prefix = _ENV_PREFIX[self.name]
        env.update({prefix + "HOST": self.host, prefix + "PORT": str(self.port),
                    prefix + "USER": self.user, prefix + "DBNAME": self.dbname})
        password = _PASSWORD_ENV[self.name]
        if password in os.environ:
            env[DBT_SECRET_ENV[password]] = os.environ[password]
        return env

    def state_dir(self) -> Path:
        """Local folder for this warehouse's lock files and dbt artifacts (PULSE_STATE_DIR/<slug>)."""
        where = self.describe()
        if self.name == "duckdb":
            where = f"duckdb:{Path(self.duckdb_path).resolve()}"
        slug = re.sub(r"[^A-Za-z0-9]+", "_", where).strip("_")[-60:]
        digest = hashlib.sha256(where.encode()).hexdigest()[:10]
        return state_root() / f"{slug}-{digest}"


def _path_setting(variable: str, default: str, kind: str) -> str:
    """A path from `variable` (default when unset or empty), refused in one line when it can
    never be used: control characters, ``:memory:`` for a file, a folder where a file must
    be or a file where a folder must be, a parent that is a file. Nothing is created."""
    text = os.environ.get(variable) or default
    if re.search(r"[\x00-\x1f\x7f]", text):
        raise ValueError(f"{variable}={text!r} contains a control character; give a path")
    path = Path(text)
    if kind == "file":
        if text.strip() == ":memory:":
            raise ValueError(f"{variable}={text!r}: an in-memory DuckDB is gone when each "
                             "pulse stage ends; give a file path (e.g. data/warehouse.duckdb)")
        if path.is_dir():
            raise ValueError(f"{variable}={text!r} is a folder; give the path of a DuckDB "
                             "file (e.g. data/warehouse.duckdb)")
    elif path.exists() and not path.is_dir():
        raise ValueError(f"{variable}={text!r} is a file; give a folder (pulse creates it "
                         "when missing)")
    parent = path.parent if kind == "file" else path
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise ValueError(f"{variable}={text!r}: {str(parent)!r} is a file, not a folder")
    return text


def state_root() -> Path:
    """The folder of every warehouse's lock files and dbt artifacts: PULSE_STATE_DIR
    (default data/state), checked (see _path_setting)."""
    return Path(_path_setting("PULSE_STATE_DIR", "data/state", "folder")).resolve()


def duckdb_path_from_env() -> str:
    """PULSE_DUCKDB_PATH (default data/warehouse.duckdb), checked (see _path_setting)."""
    return _path_setting("PULSE_DUCKDB_PATH", "data/warehouse.duckdb", "file")


def _port(variable: str, default: int) -> int:
    text = os.environ.get(variable)
    if text is None or text == "":
        return default
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"{variable}={text!r} is not a port number (1-65535)")
    return int(text)


def target_from_env(name: str | None = None) -> Target:
    """The target named (or $PULSE_TARGET, default duckdb), with settings from the environment."""
    name = name or os.environ.get("PULSE_TARGET") or "duckdb"
    if name not in TARGETS:
        raise ValueError(f"unknown target {name!r}; choose one of {', '.join(TARGETS)}")
    if name == "duckdb":
        return Target(name, duckdb_path=duckdb_path_from_env())
    prefix = _ENV_PREFIX[name]
    return Target(
        name,
        host=os.environ.get(prefix + "HOST", "127.0.0.1" if name == "postgres" else ""),
        port=_port(prefix + "PORT", _DEFAULT_PORT[name]),
        user=os.environ.get(prefix + "USER", "postgres" if name == "postgres" else ""),
        dbname=os.environ.get(prefix + "DBNAME", "pulse"),
    )
