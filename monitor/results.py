"""Monitor findings and their table ``pulse_meta.monitor_results``.

Storing replaces the results of the same monitor date in one transaction, so rerunning
`pulse monitor --date D` is idempotent; run_id tells which run wrote them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ingest.load.warehouse import dialect_cursor

RESULTS_TABLE = "pulse_meta.monitor_results"
STATUSES = ("ok", "warn", "error")
ALERT_SEVERITY = {"warn": "warning", "error": "error"}


@dataclass(frozen=True)
class MonitorResult:
    """One check's verdict: `check_key` names what was checked (an event, a task, a test)."""

    monitor: str
    check_key: str
    status: str  # ok | warn | error
    message: str
    observed: float | None = None
    expected: float | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"monitor result status {self.status!r} not in {STATUSES}")


def results_ddl(dialect: str) -> str:
    text = "varchar(65535)" if dialect == "redshift" else "text"
    return f"""create table if not exists {RESULTS_TABLE} (
        run_id {text} not null,
        monitor_date date not null,
        monitor {text} not null,
        check_key {text} not null,
        status {text} not null,
        message {text} not null,
        observed double precision,
        expected double precision,
        checked_at timestamp not null
    )"""


def store_results(conn, dialect: str, run_id: str, day: date, checked_at: datetime,
                  results: list[MonitorResult]) -> None:
    """Replace the stored results of `day` with `results` (one transaction)."""
    cur = dialect_cursor(conn, dialect)
    try:
        if dialect == "duckdb":
            cur.execute("begin transaction")
        cur.execute("create schema if not exists pulse_meta")
        cur.execute(results_ddl(dialect))
        cur.execute(f"delete from {RESULTS_TABLE} where monitor_date = %s", [day])
        for r in results:
            cur.execute(f"insert into {RESULTS_TABLE} values (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                        [run_id, day, r.monitor, r.check_key, r.status, r.message[:4000],
                         r.observed, r.expected, checked_at.replace(tzinfo=None)])
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
