"""Alert sinks: the log (stderr + JSONL file), email over SMTP, a Slack-compatible webhook.

Each sink's `deliver` either hands the alert over or raises SinkError; deciding what to do
about a failure (fallback, exit code) is alerts.py's job, not the sink's.
"""

from __future__ import annotations

import logging
import os
import smtplib
import sys
import urllib.error
import urllib.request
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

import orjson

from monitor.config import SinkConfig
from warehouse.redact import redact

log = logging.getLogger("pulse.alerts")


class SinkError(RuntimeError):
    """A sink could not deliver an alert (the message never carries secrets)."""


class Sink(Protocol):
    name: str

    def deliver(self, key: str, severity: str, subject: str, body: str) -> None: ...


def default_log_path() -> Path:
    return Path(os.environ.get("PULSE_ALERT_LOG", "data/alerts.log"))


def beside_alert_log(configured: str, name: str) -> Path:
    """A configured path, or `name` in the alert log's folder (so one env var moves them all)."""
    return Path(configured) if configured else default_log_path().parent / name


def _secret(options: dict, key: str, required: bool = True) -> str | None:
    """Read the env var named by ``<key>_env``; the config never holds the value itself."""
    var = options.get(f"{key}_env")
    value = os.environ.get(var) if var else None
    if required and not value:
        raise SinkError(f"environment variable {var or '<' + key + '_env not set>'} is empty")
    return value


def terminal_text(body: str, path: Path) -> str:
    """An alert's first paragraph (what is wrong, where); the rest (log tails, context) is in
    the alert log, which the line names, so a failed run's terminal holds no traceback."""
    head, sep, _ = body.strip("\n").partition("\n\n")
    return f"{head}\n(the whole alert: {path})" if sep else head


class LogSink:
    """stderr plus one JSON line per alert in a file (``path``, default $PULSE_ALERT_LOG)."""

    def __init__(self, name: str, path: str | None = None, stderr: bool = True) -> None:
        self.name = name
        self.path = Path(path) if path else default_log_path()
        self.stderr = stderr

    def deliver(self, key: str, severity: str, subject: str, body: str) -> None:
        if self.stderr:
            print(f"ALERT [{severity}] {subject}\n{terminal_text(body, self.path)}",
                  file=sys.stderr, flush=True)
        record = {"at": datetime.now(timezone.utc).isoformat(), "key": key,
                  "severity": severity, "subject": subject, "body": body}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "ab") as handle:
                handle.write(orjson.dumps(record) + b"\n")
        except OSError as exc:
            raise SinkError(f"cannot write {self.path}: {exc.strerror}") from None


class EmailSink:
    """Plain-text mail over SMTP (optional STARTTLS and login; password from ``password_env``)."""

    def __init__(self, name: str, options: dict) -> None:
        self.name = name
        self.options = options
        for required in ("host", "sender", "recipients"):
            if not options.get(required):
                raise ValueError(f"email sink {name!r}: {required!r} is required")

    def deliver(self, key: str, severity: str, subject: str, body: str) -> None:
        o = self.options
        message = EmailMessage()
        message["Subject"] = f"[pulse {severity}] {subject}"
        message["From"] = o["sender"]
        recipients = o["recipients"] if isinstance(o["recipients"], list) else [o["recipients"]]
        message["To"] = ", ".join(recipients)
        message["X-Pulse-Alert-Key"] = key
        message.set_content(body)
        try:
            with smtplib.SMTP(o["host"], int(o.get("port", 25)),
                              timeout=float(o.get("timeout_seconds", 10))) as smtp:
                if o.get("starttls"):
                    smtp.starttls()
                if o.get("user"):
                    smtp.login(o["user"], _secret(o, "password") or "")
                smtp.send_message(message)
        except Exception as exc:
            raise SinkError(f"SMTP {o['host']}:{o.get('port', 25)}: {type(exc).__name__}: "
                            f"{redact(exc)[:200]}") from None


class WebhookSink:
    """POST ``{"text": ...}`` (Slack incoming-webhook format) to the URL in ``url_env``."""

    def __init__(self, name: str, options: dict) -> None:
        self.name = name
        self.options = options
        if not options.get("url_env"):
            raise ValueError(f"webhook sink {name!r}: 'url_env' (env var holding the URL) is required")

    def deliver(self, key: str, severity: str, subject: str, body: str) -> None:
        url = _secret(self.options, "url")
        if not url.startswith(("https://", "http://")):
            raise SinkError(f"webhook sink {self.name}: the URL in {self.options['url_env']} "
                            "is not http(s)")
        payload = {"text": f"*[pulse {severity}] {subject}*\n{body}", "alert_key": key}
        try:
            request = urllib.request.Request(  # noqa: S310 - scheme checked above
                url, data=orjson.dumps(payload), method="POST",
                headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(  # noqa: S310 - scheme checked above
                    request, timeout=float(self.options.get("timeout_seconds", 10))) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            raise SinkError(f"webhook sink {self.name}: HTTP {exc.code}") from None
        except Exception as exc:
            # never echo the URL: for Slack it is the secret
            raise SinkError(f"webhook sink {self.name}: {type(exc).__name__} (the URL in "
                            f"{self.options['url_env']} is not shown)") from None
        if not 200 <= status < 300:
            raise SinkError(f"webhook sink {self.name}: HTTP {status}")


def build_sink(config: SinkConfig) -> Sink:
    if config.kind == "log":
        return LogSink(config.name, config.options.get("path"),
                       bool(config.options.get("stderr", True)))
    if config.kind == "email":
        return EmailSink(config.name, config.options)
    return WebhookSink(config.name, config.options)


def secret_env_names(configs: list[SinkConfig]) -> list[str]:
    """The environment variables the sinks read secrets from (``*_env`` options)."""
    return sorted({v for c in configs for k, v in c.options.items() if k.endswith("_env") and v})


def deliver(sink: Sink, key: str, severity: str, subject: str, body: str) -> None:
    """`sink.deliver`, with any error of its client turned into a SinkError whose text is
    redacted: an HTTP or SMTP library may echo a URL or a login in its message."""
    try:
        sink.deliver(key, severity, subject, body)
    except SinkError as exc:
        raise SinkError(redact(exc)) from None
    except Exception as exc:
        raise SinkError(f"sink {sink.name}: {type(exc).__name__}: {redact(exc)[:300]}") from None
