"""Alert delivery: real SMTP and HTTP servers on 127.0.0.1, a failing sink, an oversized body,
dedup, secret masking, and config validation. No warehouse needed."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from monitor.alerts import Alert, AlertDeliveryError, send_alert
from monitor.config import AlertConfig, SinkConfig, parse_config
from warehouse.redact import MASK

NOW = datetime(2026, 11, 2, 7, 0, tzinfo=timezone.utc)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()


@pytest.fixture
def webhook_server():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            status = 500 if self.path == "/broken" else 200
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def config(tmp_path: Path, *sinks: SinkConfig, **kw) -> AlertConfig:
    fallback = SinkConfig("fallback", "log", {"path": str(tmp_path / "fallback.log"), "stderr": False})
    return AlertConfig(sinks=sinks, fallback=fallback, full_text_dir=str(tmp_path / "full"),
                       state_path=str(tmp_path / "state.json"), **kw)


def email_sink(port: int, **extra) -> SinkConfig:
    return SinkConfig("email", "email", {"host": "127.0.0.1", "port": port, "sender": "pulse@example.com",
                                         "recipients": ["data@example.com"], **extra})


def log_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_email_and_webhook_deliver(tmp_path, smtp_server, webhook_server, monkeypatch):
    port, inbox = smtp_server
    url, received = webhook_server
    monkeypatch.setenv("PULSE_TEST_WEBHOOK_URL", url + "/hook")
    cfg = config(tmp_path, email_sink(port),
                 SinkConfig("slack", "webhook", {"url_env": "PULSE_TEST_WEBHOOK_URL"}))
    delivery = send_alert(Alert("volume:2026-11-01", "signup dropped", "signup: 0 events, expected 40"),
                          cfg, NOW)
    assert delivery.delivered_to == ["email", "slack"] and not delivery.failed
    (sender, rcpts, content), = inbox.messages
    assert sender == "pulse@example.com" and rcpts == ["data@example.com"]
    assert b"signup dropped" in content and b"expected 40" in content
    assert received[0]["text"].startswith("*[pulse error] signup dropped*")
    assert not (tmp_path / "fallback.log").exists()


def test_failing_sink_goes_to_fallback_and_raises(tmp_path, webhook_server, monkeypatch):
    url, received = webhook_server
    monkeypatch.setenv("PULSE_TEST_WEBHOOK_URL", url + "/broken")
    closed_port = free_port()  # nothing listens there
    cfg = config(tmp_path, email_sink(closed_port, timeout_seconds=2),
                 SinkConfig("slack", "webhook", {"url_env": "PULSE_TEST_WEBHOOK_URL"}))
    with pytest.raises(AlertDeliveryError) as info:
        send_alert(Alert("deadline:2026-11-01", "batch not published", "details"), cfg, NOW)
    delivery = info.value.delivery
    assert set(delivery.failed) == {"email", "slack"} and "HTTP 500" in delivery.failed["slack"]
    assert delivery.delivered_to == ["fallback"]
    (record,) = log_lines(tmp_path / "fallback.log")
    assert record["subject"] == "(undelivered) batch not published"
    assert "delivery failed on email" in record["body"] and "slack: " in record["body"]
    assert len(received) == 1  # the webhook was tried
    # not marked as sent: the next run tries again instead of deduplicating a lost alert
    with pytest.raises(AlertDeliveryError):
        send_alert(Alert("deadline:2026-11-01", "batch not published", "details"), cfg, NOW)


def test_fallback_failure_still_raises(tmp_path):
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where a folder should be")
    cfg = AlertConfig(sinks=(SinkConfig("log", "log", {"path": str(blocked / "a.log"), "stderr": False}),),
                      fallback=SinkConfig("fallback", "log",
                                          {"path": str(blocked / "b.log"), "stderr": False}),
                      state_path=str(tmp_path / "state.json"))
    with pytest.raises(AlertDeliveryError, match="fallback sink failed too"):
        send_alert(Alert("k", "s", "b"), cfg, NOW)


def test_oversized_body_is_truncated_with_full_text_saved(tmp_path, smtp_server):
    port, inbox = smtp_server
    huge = "".join(f"ERROR line {i}: something broke\n" for i in range(200_000))  # ~6 MB
    cfg = config(tmp_path, email_sink(port), max_body_chars=2000)
    delivery = send_alert(Alert("dbt:failed", "dbt build failed", huge), cfg, NOW)
    assert delivery.truncated and delivery.delivered_to == ["email"]
    saved = Path(delivery.full_text_path).read_text()
    assert saved.endswith(huge) and saved.startswith("dbt build failed")
    (_, _, content), = inbox.messages
    assert len(content) < 4000
    text = email.message_from_bytes(content, policy=email.policy.default).get_content()
    assert text.startswith("ERROR line 0:") and str(Path(delivery.full_text_path).resolve()) in text


def test_repeated_alert_is_deduplicated_within_window(tmp_path, smtp_server):
    port, inbox = smtp_server
    cfg = config(tmp_path, email_sink(port), dedup_window_minutes=60)
    alert = Alert("volume:signup:2026-11-01", "signup dropped", "0 events")
    assert not send_alert(alert, cfg, NOW).deduplicated
    assert send_alert(alert, cfg, NOW + timedelta(minutes=59)).deduplicated
    assert not send_alert(Alert("other", "x", "y"), cfg, NOW + timedelta(minutes=59)).deduplicated
    assert not send_alert(alert, cfg, NOW + timedelta(minutes=61)).deduplicated
    assert len(inbox.messages) == 3


def test_dedup_is_per_warehouse(tmp_path):
    """The same condition on DuckDB and on PostgreSQL is two alerts: a PostgreSQL run's alert
    is not suppressed because a DuckDB run sent the same key."""
    sink = SinkConfig("log", "log", {"path": str(tmp_path / "alerts.log"), "stderr": False})
    cfg = config(tmp_path, sink, dedup_window_minutes=60)
    key, later = "publish_deadline:2026-10-28:ab12", NOW + timedelta(minutes=5)
    duckdb = Alert(key, "late", "x", "warning", warehouse="duckdb:/data/warehouse.duckdb")
    postgres = Alert(key, "late", "x", "warning", warehouse="postgres://postgres@127.0.0.1:5432/pulse")
    assert not send_alert(duckdb, cfg, NOW).deduplicated
    assert not send_alert(postgres, cfg, later).deduplicated
    assert send_alert(postgres, cfg, later).deduplicated  # still one alert per warehouse
    assert send_alert(duckdb, cfg, later).deduplicated
    assert [r["key"] for r in log_lines(tmp_path / "alerts.log")] == [key, key]


def test_secrets_never_appear_in_alert_text(tmp_path, smtp_server, webhook_server, monkeypatch):
    port, inbox = smtp_server
    url, received = webhook_server
    monkeypatch.setenv("PULSE_PG_PASSWORD", "hunter2-pg-secret")
    monkeypatch.setenv("PULSE_TEST_WEBHOOK_URL", url + "/hook/T000/B000/XXXXsecrettoken")
    cfg = config(tmp_path, email_sink(port),
                 SinkConfig("slack", "webhook", {"url_env": "PULSE_TEST_WEBHOOK_URL"}))
    body = (f"connect failed: password=hunter2-pg-secret to postgres://pulse:other-pass@db/pulse; "
            f"posted to {url}/hook/T000/B000/XXXXsecrettoken")
    send_alert(Alert("k", "error with hunter2-pg-secret", body), cfg, NOW)
    texts = [content.decode() for _, _, content in inbox.messages] + [json.dumps(r) for r in received]
    for text in texts:
        assert "hunter2-pg-secret" not in text and "XXXXsecrettoken" not in text and "other-pass" not in text
        assert MASK in text


def test_config_file_rejects_inline_secrets_and_unknown_settings():
    cfg = parse_config({"alerts": {"max_body_chars": 500, "sinks": {
        "email": {"host": "smtp", "sender": "a@b", "recipients": ["c@d"], "password_env": "SMTP_PW"},
        "slack": {"kind": "webhook", "url_env": "SLACK_URL", "min_severity": "error"}}}})
    assert [s.kind for s in cfg.alerts.sinks] == ["email", "webhook"]
    assert cfg.alerts.max_body_chars == 500
    with pytest.raises(ValueError, match="looks like a secret"):
        parse_config({"alerts": {"sinks": {"email": {"host": "smtp", "password": "plain"}}}})
    with pytest.raises(ValueError, match="looks like a secret"):
        parse_config({"alerts": {"sinks": {"slack": {"kind": "webhook", "url": "https://hooks"}}}})
    with pytest.raises(ValueError, match="unknown settings"):
        parse_config({"alerts": {"max_body_char": 5}})
    with pytest.raises(ValueError, match="HH:MM"):
        parse_config({"pipeline": {"publish_deadline_utc": "25:00"}})


def test_example_config_parses():
    import yaml

    example = Path(__file__).resolve().parents[1] / "monitor" / "alerts.example.yml"
    cfg = parse_config(yaml.safe_load(example.read_text()))
    assert {s.kind for s in cfg.alerts.sinks} == {"log", "email", "webhook"}
