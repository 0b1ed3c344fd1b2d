"""Column layout of lake tables and their warehouse raw tables.

One declaration serves the job (what it writes), the lake (CSV header, Parquet schema),
the loaders (DDL, COPY column lists) and the dbt source check, so they cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from warehouse.clients.base import LOGICAL_TYPES

# The same logical types in Parquet lake files, as pyarrow aliases: names, so importing the
# schema (as every job worker does) needs no pyarrow.
ARROW_TYPES: dict[str, str] = {
    "string": "string", "short_string": "string", "timestamp": "timestamp[us]", "date": "date32",
    "integer": "int64", "double": "double", "boolean": "bool",
}


def arrow_type(logical: str):
    """The pyarrow DataType of a logical column type."""
    import pyarrow as pa

    return pa.type_for_alias(ARROW_TYPES[logical])


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool = True
    description: str = ""

    def __post_init__(self) -> None:
        if self.type not in LOGICAL_TYPES or self.type not in ARROW_TYPES:  # SQL spelling: the clients
            raise ValueError(f"column {self.name}: unknown type {self.type!r}")


@dataclass(frozen=True)
class TableSchema:
    """A lake table: its name, columns, and the column that partitions it."""

    name: str
    columns: tuple[Column, ...]
    description: str = ""
    partition_column: str = "batch_date"
    key: tuple[str, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


# Columns the loader adds to every raw table (not present in lake files).
LOAD_ID_COLUMN = Column(
    "_load_id", "integer", nullable=False,
    description="Load that wrote this row (pulse_meta.load_audit.load_id); increases with every load.",
)

EVENTS = TableSchema(
    name="events",
    description="Validated product events, one row per event_id within a batch, timestamps in UTC.",
    key=("batch_date", "event_id"),
    columns=(
        Column("event_id", "short_string", False, "Client-generated event id; retries resend it."),
        Column("event_name", "short_string", False, "Event name, [a-z0-9_]{1,64}."),
        Column("event_at", "timestamp", False, "Client event time converted to UTC."),
        Column("user_id", "short_string", True, "Signed-in user id, if any."),
        Column("anonymous_id", "short_string", True, "Device/browser id before sign-in, if any."),
        Column("workspace_id", "short_string", True, "Customer workspace (tenant) id, if any."),
        Column("client_session_id", "short_string", True, "Client's own session hint."),
        Column("platform", "short_string", True, "web, ios, android, desktop or api."),
        Column("app_version", "short_string", True, "Client application version."),
        Column("country", "short_string", True, "ISO 3166-1 alpha-2 country code."),
        Column("properties", "string", False, "Event properties as a JSON object (keys sorted)."),
        Column("ts_has_offset", "boolean", False, "False when the client ts had no UTC offset."),
        Column("batch_date", "date", False, "Arrival batch date (raw folder date, UTC)."),
        Column("source_file", "string", False, "Raw file the event was read from."),
        Column("source_line", "integer", False, "1-based line number in the raw file."),
    ),
)

TABLES: dict[str, TableSchema] = {EVENTS.name: EVENTS}
