"""DuckDB: one file, one writing process; ``?`` placeholders; explicit transactions."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from warehouse.clients.base import PartitionFiles, SqlClient
from warehouse.target import identifier


class DuckDBClient(SqlClient):
    TYPES: ClassVar[dict[str, str]] = {
        "string": "varchar", "short_string": "varchar", "timestamp": "timestamp", "date": "date",
        "integer": "bigint", "double": "double", "boolean": "boolean"}
    SINGLE_WRITER_LOCK: ClassVar[str | None] = "duckdb-connection"

    @classmethod
    def exists(cls, target) -> bool:
        return Path(target.duckdb_path).is_file()

    def _connect(self):
        import duckdb

        Path(self.target.duckdb_path).parent.mkdir(parents=True, exist_ok=True)
        return duckdb.connect(self.target.duckdb_path)

    def _sql(self, sql: str) -> str:
        return sql.replace("%s", "?")

    def _cursor(self):
        return self.conn  # a DuckDB cursor() is a separate connection with its own transaction

    def _begin(self) -> None:
        self.conn.execute("begin transaction")

    def run_load_step(self, step) -> None:
        if step.like:  # DuckDB has no CREATE TABLE (LIKE ...): an empty copy of the columns
            table, source = step.like
            self.execute(f"create temporary table {table} as select * from {source} where 1 = 0")
            return
        super().run_load_step(step)

    def copy_into(self, table: str, columns: Sequence[tuple[str, str]], files: PartitionFiles) -> None:
        names = ", ".join(identifier(name) for name, _ in columns)
        types = ", ".join(f"'{name}': '{self.type_name(kind)}'" for name, kind in columns)
        with files.local_paths() as paths:
            for path in paths:
                if files.fmt == "parquet":
                    self.execute(f"insert into {table} ({names}) select {names} from read_parquet(%s)",
                                 [path])
                    continue
                self.execute(
                    f"insert into {table} ({names}) select * from read_csv(%s, header = true, "
                    f"columns = {{{types}}}, quote = '\"', escape = '\"', "
                    f"allow_quoted_nulls = false, auto_detect = false)", [path])
