"""Monitoring configuration: one YAML file (``PULSE_MONITOR_CONFIG``) plus env vars for secrets.

The file names the *environment variables* that hold secrets (``password_env``, ``url_env``),
never the secrets themselves, so it can be committed; see monitor/alerts.example.yml.
Without a file every setting has a safe default and alerts go to the log sink only.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from warehouse.redact import register_secret_env

SINK_KINDS = ("log", "email", "webhook")
_DEADLINE = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


@dataclass(frozen=True)
class SinkConfig:
    """One alert destination; `options` are the kind's settings (host, port, url_env...)."""

    name: str
    kind: str
    options: dict[str, Any] = field(default_factory=dict)
    min_severity: str = "info"


@dataclass(frozen=True)
class AlertConfig:
    sinks: tuple[SinkConfig, ...] = (SinkConfig("log", "log"),)
    # a different file from the log sink's, so one unwritable path cannot lose both.
    # Empty paths mean "beside the alert log" ($PULSE_ALERT_LOG, default data/alerts.log).
    fallback: SinkConfig = SinkConfig("fallback", "log", {"path": ""})
    max_body_chars: int = 4000
    full_text_dir: str = ""
    dedup_window_minutes: int = 360
    state_path: str = ""


@dataclass(frozen=True)
class PipelineMonitorConfig:
    duration_multiple: float = 2.0      # alert when a task takes > multiple x its recent p95
    duration_history_runs: int = 20     # how many previous successful runs make the p95
    duration_min_history: int = 5       # fewer previous runs: no verdict
    duration_min_seconds: float = 30.0  # ignore regressions of tasks shorter than this
    publish_deadline_utc: str = "06:00"  # batch D must be published by D + offset days at this time
    publish_deadline_day_offset: int = 1


@dataclass(frozen=True)
class IngestMonitorConfig:
    quarantine_share_warn: float = 0.01
    quarantine_share_error: float = 0.05
    reason_share_warn: float = 0.005     # one rejection reason above this share of lines: warn
    late_share_warn: float = 0.25        # share of a batch's rows from earlier days (late batch)
    freshness_warn_days: int = 1         # latest loaded batch older than D by more than this: warn
    freshness_error_days: int = 2


SEASONALITIES = ("none", "weekday", "hour-of-week")
DIMENSIONS = ("platform", "app_version", "country")
DEFAULT_DIMENSIONS = ("platform", "country")


@dataclass(frozen=True)
class EventVolumeConfig:
    """How one event's volume is scored by the hourly/dimension monitor (monitor/hourly.py).

    seasonality: hour-of-week (default) scores each UTC hour against the same hour of the
    same weekday in the previous weeks; weekday scores daily totals against the same weekday;
    none scores daily totals against the previous 14 days (flat, machine-made events).
    """

    seasonality: str = "hour-of-week"
    sensitivity: float = 5.0            # half-width of the normal range in robust sigmas
    min_expected_events: float = 10.0   # a bucket (hour or day) expecting fewer is not scored
    min_relative_change: float = 0.3    # and a flag needs at least a 30% change
    enabled: bool = True


@dataclass(frozen=True)
class VolumeMonitorConfig:
    defaults: EventVolumeConfig = EventVolumeConfig()
    events: tuple[tuple[str, EventVolumeConfig], ...] = ()  # per-event overrides
    history_weeks: int = 6              # reference: this many previous weeks (days for none: 14)
    min_history: int = 3                # fewer usable reference points: no verdict
    # app_version is opt-in: a release moves a platform's traffic to the new version within
    # hours, so its values' drops and spikes are the release itself (docs/monitoring.md)
    dimensions: tuple[str, ...] = DEFAULT_DIMENSIONS
    top_n: int = 5                      # values per dimension scored on their own; rest is "other"
    # hour-of-week events: windows of this many consecutive hours are scored too (against the
    # same window of the same weekday), so a 3-hour drop that no single hour shows is found
    windows: tuple[int, ...] = (3, 6)
    # on by default (`pulse monitor` and the pipeline); false turns the hourly and dimension
    # monitor off (`pulse monitor backtest` replays it either way)
    active: bool = True

    def for_event(self, event: str) -> EventVolumeConfig:
        return dict(self.events).get(event, self.defaults)


def _event_volume(raw: dict[str, Any] | None, base: EventVolumeConfig, where: str) -> EventVolumeConfig:
    raw = dict(raw or {})
    unknown = set(raw) - set(EventVolumeConfig.__dataclass_fields__)
    if unknown:
        raise ValueError(f"{where}: unknown settings {sorted(unknown)}")
    cfg = EventVolumeConfig(**{**base.__dict__, **raw})
    if cfg.seasonality not in SEASONALITIES:
        raise ValueError(f"{where}: seasonality {cfg.seasonality!r} is not one of {', '.join(SEASONALITIES)}")
    if cfg.sensitivity <= 0 or cfg.min_expected_events < 0 or cfg.min_relative_change < 0:
        raise ValueError(f"{where}: sensitivity must be > 0, min_expected_events and "
                         f"min_relative_change >= 0")
    return cfg


def parse_volume(raw: dict[str, Any] | None) -> VolumeMonitorConfig:
    """The `volume:` section: defaults for every event at the top, overrides under `events:`."""
    raw = dict(raw or {})
    events_raw = raw.pop("events", None) or {}
    event_keys = set(EventVolumeConfig.__dataclass_fields__)
    defaults = _event_volume({k: raw.pop(k) for k in list(raw) if k in event_keys},
                             EventVolumeConfig(), "volume")
    general = _section(VolumeMonitorConfig, raw, "volume")
    bad = [d for d in general.dimensions if d not in DIMENSIONS]
    if bad:
        raise ValueError(f"volume.dimensions: {bad} not among {', '.join(DIMENSIONS)}")
    if general.history_weeks < 1 or general.min_history < 1 or general.top_n < 1:
        raise ValueError("volume: history_weeks, min_history and top_n must be >= 1")
    windows = tuple(sorted({int(w) for w in general.windows}))
    if any(not 2 <= w <= 23 for w in windows):
        raise ValueError("volume.windows: window lengths are 2..23 hours (the day is scored anyway)")
    events = tuple((str(name), _event_volume(ev, defaults, f"volume.events.{name}"))
                   for name, ev in sorted(events_raw.items()))
    return VolumeMonitorConfig(defaults, events, general.history_weeks, general.min_history,
                               tuple(general.dimensions), general.top_n, windows, general.active)


@dataclass(frozen=True)
class MonitorConfig:
    alerts: AlertConfig = AlertConfig()
    pipeline: PipelineMonitorConfig = PipelineMonitorConfig()
    ingest: IngestMonitorConfig = IngestMonitorConfig()
    volume: VolumeMonitorConfig = VolumeMonitorConfig()
    lake: str | None = "data/lake"
    run_dbt_tests: bool = True           # critical-value dbt tests (tag pulse_monitor)


SEVERITIES = ("info", "warning", "error", "critical")


def severity_rank(severity: str) -> int:
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r}; use one of {', '.join(SEVERITIES)}")
    return SEVERITIES.index(severity)


def _sink(name: str, raw: dict[str, Any]) -> SinkConfig:
    raw = dict(raw)
    kind = raw.pop("kind", name)
    if kind not in SINK_KINDS:
        raise ValueError(f"alert sink {name!r}: unknown kind {kind!r} ({', '.join(SINK_KINDS)})")
    min_severity = raw.pop("min_severity", "info")
    severity_rank(min_severity)
    for key in raw:
        if key.endswith(("password", "token", "secret")) or key == "url":
            raise ValueError(f"alert sink {name!r}: {key!r} looks like a secret; put it in an "
                             f"environment variable and name it with {key}_env")
    # every stage's logs and stored errors mask what these variables hold, not only alerts
    register_secret_env(*(v for k, v in raw.items() if k.endswith("_env") and isinstance(v, str)))
    return SinkConfig(name, kind, raw, min_severity)


def _section(cls, raw: dict[str, Any] | None, where: str):
    raw = raw or {}
    known = set(cls.__dataclass_fields__)
    unknown = set(raw) - known
    if unknown:
        raise ValueError(f"{where}: unknown settings {sorted(unknown)}")
    return cls(**raw)


def parse_config(raw: dict[str, Any] | None) -> MonitorConfig:
    """Validate a config mapping (the parsed YAML file)."""
    raw = dict(raw or {})
    alerts_raw = dict(raw.pop("alerts", None) or {})
    sinks_raw = alerts_raw.pop("sinks", None)
    fallback_raw = alerts_raw.pop("fallback", None)
    alerts = _section(AlertConfig, alerts_raw, "alerts")
    if sinks_raw is not None:
        alerts = AlertConfig(**{**alerts.__dict__,
                                "sinks": tuple(_sink(n, s or {}) for n, s in sinks_raw.items())})
    if fallback_raw is not None:
        alerts = AlertConfig(**{**alerts.__dict__, "fallback": _sink("fallback", fallback_raw)})
    pipeline = _section(PipelineMonitorConfig, raw.pop("pipeline", None), "pipeline")
    if not _DEADLINE.fullmatch(pipeline.publish_deadline_utc):
        raise ValueError(f"pipeline.publish_deadline_utc {pipeline.publish_deadline_utc!r}: use HH:MM")
    ingest = _section(IngestMonitorConfig, raw.pop("ingest", None), "ingest")
    volume = parse_volume(raw.pop("volume", None))
    rest = _section(MonitorConfig, raw, "monitor config")
    return MonitorConfig(alerts=alerts, pipeline=pipeline, ingest=ingest, volume=volume, lake=rest.lake,
                         run_dbt_tests=rest.run_dbt_tests)


def load_config(path: str | Path | None = None) -> MonitorConfig:
    """The config from `path`, else $PULSE_MONITOR_CONFIG, else the defaults."""
    path = path or os.environ.get("PULSE_MONITOR_CONFIG")
    if not path:
        return MonitorConfig()
    with open(path, encoding="utf-8") as handle:
        try:
            raw = yaml.safe_load(handle)
        except yaml.YAMLError as exc:
            raise ValueError(f"monitor config {path}: not valid YAML "
                             f"({str(exc).splitlines()[0]})") from None
    if raw is not None and not isinstance(raw, dict):
        raise ValueError(f"monitor config {path}: expected a mapping of settings")
    try:
        return parse_config(raw)
    except TypeError as exc:  # a section that is not a mapping, a setting of the wrong shape
        raise ValueError(f"monitor config {path}: {exc}") from None
