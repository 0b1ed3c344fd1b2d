"""Monitor findings and their table ``pulse_meta.monitor_results`` (declared in warehouse.meta).

Storing replaces the results of the same monitor date in one transaction, so rerunning
`pulse monitor --date D` is idempotent; run_id tells which run wrote them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from warehouse import meta
from warehouse.clients import SqlClient

RESULTS_TABLE = meta.MONITOR_RESULTS.qualified
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


def store_results(client: SqlClient, run_id: str, day: date, checked_at: datetime,
                  results: list[MonitorResult]) -> None:
    """Replace the stored results of `day` with `results` (one transaction; pulse_meta set up)."""
    meta.store_monitor_results(client, run_id, day, checked_at,
                               [(r.monitor, r.check_key, r.status, r.message, r.observed, r.expected)
                                for r in results])
