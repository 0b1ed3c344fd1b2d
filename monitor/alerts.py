"""Alert delivery. Every alert reaches at least one sink, or the caller learns it did not.

This first version has one sink, the log (stderr + ``data/alerts.log``); email and webhook
sinks, dedup windows and body truncation build on the same `send_alert` call.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import orjson

log = logging.getLogger("pulse.alerts")


@dataclass(frozen=True)
class Alert:
    key: str  # stable identity of the condition, for dedup (e.g. "task_failed:load:2026-11-01")
    subject: str
    body: str
    severity: str = "error"  # info | warning | error | critical


class AlertDeliveryError(RuntimeError):
    """No sink accepted the alert."""


def alert_log_path() -> Path:
    return Path(os.environ.get("PULSE_ALERT_LOG", "data/alerts.log"))


def send_alert(alert: Alert) -> None:
    """Write the alert to stderr and the alert log; raise AlertDeliveryError if both fail."""
    record = {"at": datetime.now(timezone.utc).isoformat(), **alert.__dict__}
    delivered = False
    try:
        log.error("ALERT [%s] %s\n%s", alert.severity, alert.subject, alert.body)
        delivered = True
    except Exception:  # noqa: S110 - fall through to the file sink
        pass
    try:
        path = alert_log_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab") as handle:
            handle.write(orjson.dumps(record) + b"\n")
        delivered = True
    except OSError as exc:
        if not delivered:
            raise AlertDeliveryError(f"alert {alert.key} could not be delivered: {exc}") from exc
