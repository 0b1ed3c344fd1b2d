"""`run_monitors`: every monitor for one batch date, results stored, alerts sent.

Called by `pulse monitor --date D` and by the orchestrator after the transform. A monitor
that crashes becomes an error result (it never hides the others); results are stored before
alerts go out; a failed alert delivery is reported (exit code 1), never swallowed.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone

from monitor import data_checks, pipeline_checks, volume
from monitor.alerts import Alert, AlertDeliveryError, Delivery, send_alert
from monitor.config import MonitorConfig, load_config
from monitor.results import ALERT_SEVERITY, MonitorResult, store_results
from warehouse import meta
from warehouse.clients import SqlClient
from warehouse.locks import connection
from warehouse.target import Target

log = logging.getLogger(__name__)


@dataclass
class MonitorReport:
    run_id: str
    day: date
    results: list[MonitorResult] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    delivery_errors: list[str] = field(default_factory=list)

    @property
    def findings(self) -> list[MonitorResult]:
        return [r for r in self.results if r.status != "ok"]

    @property
    def exit_code(self) -> int:
        """1 when an error-level finding exists or an alert could not be delivered, else 0."""
        failed = self.delivery_errors or any(r.status == "error" for r in self.results)
        return 1 if failed else 0


def _guarded(name: str, check: Callable[[], list[MonitorResult]],
             client: SqlClient | None = None) -> list[MonitorResult]:
    try:
        return check()
    except Exception as exc:
        log.exception("monitor %s crashed", name)
        if client is not None:  # a failed statement must not abort the checks after it
            client.rollback()
        return [MonitorResult(name, "monitor", "error", f"monitor {name} crashed: "
                                                         f"{type(exc).__name__}: {str(exc)[:500]}")]


def collect(target: Target, day: date, config: MonitorConfig, now: datetime) -> list[MonitorResult]:
    """Run every monitor for `day` and return all results (ok ones included)."""
    results: list[MonitorResult] = []
    with connection(target) as client:
        checks: list[tuple[str, Callable[[], list[MonitorResult]]]] = [
            ("freshness", lambda: data_checks.freshness(client, day, config.ingest)),
            ("volume_anomaly", lambda: data_checks.volume_anomalies(client, day)),
            ("late_arrivals", lambda: data_checks.late_share(client, day, config.ingest)),
            ("ingest_health", lambda: data_checks.ingest_health(config.lake, day, config.ingest)),
            ("schema_drift", lambda: data_checks.schema_drift(client, day)),
            ("task_duration", lambda: pipeline_checks.duration_regressions(client, day, config.pipeline)),
            ("publish_deadline",
             lambda: pipeline_checks.publish_deadline(client, day, config.pipeline, now)),
        ]
        if config.volume.active:
            checks.insert(2, ("hourly_volume",
                              lambda: volume.volume_anomalies(client, day, config.volume)))
        for name, check in checks:
            results += _guarded(name, check, client)
    if config.run_dbt_tests:  # dbt opens its own connection (DuckDB allows one writer)
        from monitor.dbt_checks import critical_value_tests

        results += _guarded("critical_values", lambda: critical_value_tests(target, day))
    return merge_volume_findings(results)


def merge_volume_findings(results: list[MonitorResult]) -> list[MonitorResult]:
    """One finding per incident: an hourly_volume finding of an event whose day the daily
    volume monitor flagged in the same direction (drop: error, spike: warn) is the same
    incident seen hour by hour. The daily finding keeps it, naming the hours; the hourly
    monitor's summary line counts it. Hours of the other direction stay findings of their own,
    and so do dimension values (a value that moved against the rest is another finding)."""
    daily = {r.check_key: i for i, r in enumerate(results)
             if r.monitor == "volume_anomaly" and r.status != "ok" and r.check_key != "all"}
    out = list(results)
    absorbed: dict[int, list[MonitorResult]] = {}
    for r in results:
        if r.monitor != "hourly_volume" or r.status == "ok" or r.check_key == "all":
            continue
        i = daily.get(r.check_key.split("@", 1)[0])
        if i is not None and results[i].status == r.status:
            absorbed.setdefault(i, []).append(r)
    if not absorbed:
        return out
    for i, hours in absorbed.items():
        out[i] = replace(results[i], message=results[i].message + "; hourly: "
                         + "; ".join(h.message for h in hours))
    gone = {id(h) for hours in absorbed.values() for h in hours}
    n = len(gone)
    return [replace(r, message=f"{r.message}, {n} more shown by volume_anomaly (the same day and "
                               f"direction)") if r.monitor == "hourly_volume" and r.check_key == "all"
            and r.status == "ok" else r for r in out if id(r) not in gone]


def alerts_for(day: date, results: list[MonitorResult], warehouse: str = "") -> list[Alert]:
    """One alert per monitor with findings; the key changes when the set of findings does.
    `warehouse` (Target.describe()) keeps the same findings on two warehouses two alerts."""
    by_monitor: dict[str, list[MonitorResult]] = {}
    for r in results:
        if r.status != "ok":
            by_monitor.setdefault(r.monitor, []).append(r)
    alerts = []
    for monitor, findings in sorted(by_monitor.items()):
        worst = "error" if any(f.status == "error" for f in findings) else "warn"
        fingerprint = hashlib.sha256("|".join(sorted(f"{f.check_key}:{f.status}" for f in findings))
                                     .encode()).hexdigest()[:10]
        subject = (f"{monitor}: {len(findings)} finding(s) for {day}"
                   f" ({', '.join(sorted({f.check_key for f in findings})[:5])})")
        body = "\n".join(f"- [{f.status}] {f.message}" for f in findings) + \
            (f"\n\nwarehouse: {warehouse}" if warehouse else "")
        alerts.append(Alert(f"{monitor}:{day}:{fingerprint}", subject, body, ALERT_SEVERITY[worst],
                            warehouse=warehouse))
    return alerts


def run_monitors(target: Target, day: date, config: MonitorConfig | None = None,
                 now: datetime | None = None, send: bool = True) -> MonitorReport:
    """Run all monitors for batch date `day`, store them in pulse_meta.monitor_results, alert."""
    config = config or load_config()
    now = now or datetime.now(timezone.utc)
    report = MonitorReport(run_id=uuid.uuid4().hex, day=day)
    report.results = collect(target, day, config, now)
    with connection(target) as client:
        meta.setup(client)  # the explicit set-up step of `pulse monitor`; checks never create
        store_results(client, report.run_id, day, now, report.results)
    if not send:
        return report
    for alert in alerts_for(day, report.results, target.describe()):
        try:
            report.deliveries.append(send_alert(alert, config.alerts, now))
        except AlertDeliveryError as exc:
            report.delivery_errors.append(str(exc))
            if exc.delivery:
                report.deliveries.append(exc.delivery)
    return report
