"""Alert delivery. Every alert reaches at least one sink, or the caller learns it did not.

`send_alert(Alert)` is the one entry point (the orchestrator and `pulse monitor` call it):
secrets are masked, the body is cut to ``max_body_chars`` with the full text saved to a file
it names, an alert whose key was delivered for the same warehouse within the dedup window is
not sent again, and
when a configured sink fails the alert goes to the fallback sink *and* AlertDeliveryError is
raised, so the command exits non-zero instead of losing the alert silently.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from monitor.config import AlertConfig, SinkConfig, load_config, severity_rank
from monitor.sinks import SinkError, beside_alert_log, build_sink, default_log_path, deliver, secret_env_names
from warehouse.redact import redact, register_secret_env

log = logging.getLogger("pulse.alerts")


@dataclass(frozen=True)
class Alert:
    key: str  # stable identity of the condition, for dedup (e.g. "task_failed:load:2026-11-01")
    subject: str
    body: str
    severity: str = "error"  # info | warning | error | critical
    warehouse: str = ""  # Target.describe() of the warehouse it is about ("" when none)

    @property
    def dedup_key(self) -> str:
        """What de-duplication remembers: the key on this warehouse (the same condition on
        DuckDB and on PostgreSQL are two alerts)."""
        return f"{self.warehouse}|{self.key}" if self.warehouse else self.key


class AlertDeliveryError(RuntimeError):
    """A configured sink failed (the alert went to the fallback sink), or no sink accepted it."""

    def __init__(self, message: str, delivery: Delivery | None = None) -> None:
        super().__init__(message)
        self.delivery = delivery


@dataclass
class Delivery:
    """What happened to one alert."""

    key: str
    delivered_to: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    deduplicated: bool = False
    truncated: bool = False
    full_text_path: str | None = None


def alert_log_path() -> Path:
    return default_log_path()


def truncate(alert: Alert, config: AlertConfig) -> tuple[Alert, str | None]:
    """Cut an oversized body, keeping its head, after saving the full text to a file."""
    if len(alert.body) <= config.max_body_chars:
        return alert, None
    digest = hashlib.sha256(f"{alert.key}\n{alert.body}".encode()).hexdigest()[:16]
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = beside_alert_log(config.full_text_dir, "alerts-full") / f"{stamp}-{digest}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{alert.subject}\n\n{alert.body}", encoding="utf-8")
    note = (f"\n\n[truncated: {len(alert.body):,} characters; full text in {path.resolve()}]")
    head = alert.body[: max(0, config.max_body_chars - len(note))]
    return replace(alert, body=head + note), str(path)


def fallback_config(fallback: SinkConfig) -> SinkConfig:
    """A log fallback without a path writes beside the alert log, never into the same file:
    one unwritable path must not lose both copies."""
    if fallback.kind != "log" or fallback.options.get("path"):
        return fallback
    path = str(beside_alert_log("", "alerts-undelivered.log"))
    return replace(fallback, options={**fallback.options, "path": path})


class DedupState:
    """When each alert key was last delivered everywhere (a small JSON file)."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)

    def _read(self) -> dict[str, str]:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def recently_sent(self, key: str, window: timedelta, now: datetime) -> bool:
        sent = self._read().get(key)
        return sent is not None and now - datetime.fromisoformat(sent) < window

    def mark_sent(self, key: str, now: datetime, window: timedelta) -> None:
        state = {k: v for k, v in self._read().items()
                 if now - datetime.fromisoformat(v) < window}  # forget expired keys
        state[key] = now.isoformat()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)


def send_alert(alert: Alert, config: AlertConfig | None = None,
               now: datetime | None = None) -> Delivery:
    """Deliver `alert` to every configured sink that takes its severity.

    Raises AlertDeliveryError when any sink failed (after the fallback sink got the alert
    and the failure reasons) - the alert is never dropped without the caller knowing.
    """
    config = config or load_config().alerts
    now = now or datetime.now(timezone.utc)
    severity_rank(alert.severity)
    secrets = secret_env_names([*config.sinks, config.fallback])
    register_secret_env(*secrets)  # so redact(), logs and stored errors mask them too
    alert = replace(alert, subject=redact(alert.subject), body=redact(alert.body))
    result = Delivery(alert.key)
    window = timedelta(minutes=config.dedup_window_minutes)
    state = DedupState(beside_alert_log(config.state_path, "alerts-dedup-state.json"))
    if window and state.recently_sent(alert.dedup_key, window, now):
        log.info("alert %s already sent within %s; not repeated", alert.dedup_key, window)
        result.deduplicated = True
        return result
    alert, result.full_text_path = truncate(alert, config)
    result.truncated = result.full_text_path is not None

    for sink_config in config.sinks:
        if severity_rank(alert.severity) < severity_rank(sink_config.min_severity):
            continue
        try:
            deliver(build_sink(sink_config), alert.key, alert.severity, alert.subject, alert.body)
            result.delivered_to.append(sink_config.name)
        except (SinkError, ValueError) as exc:
            result.failed[sink_config.name] = redact(exc)

    if not result.failed:
        if result.delivered_to:
            state.mark_sent(alert.dedup_key, now, window)
        return result

    reasons = "; ".join(f"{name}: {why}" for name, why in result.failed.items())
    fallback_body = f"{alert.body}\n\n[delivery failed on {reasons}]"
    try:
        deliver(build_sink(fallback_config(config.fallback)), alert.key, alert.severity,
                f"(undelivered) {alert.subject}", fallback_body)
        result.delivered_to.append(config.fallback.name)
    except (SinkError, ValueError) as exc:
        result.failed[config.fallback.name] = redact(exc)
        with contextlib.suppress(Exception):  # last resort: the process log
            log.critical("ALERT LOST by every sink [%s] %s (%s)", alert.severity, alert.subject, reasons)
    raise AlertDeliveryError(
        f"alert {alert.key}: sink(s) failed ({reasons}); "
        + ("sent to the fallback sink instead" if config.fallback.name in result.delivered_to
           else "the fallback sink failed too"), result)
