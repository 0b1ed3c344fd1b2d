"""The one redaction step: every exception text that reaches a log, a file, a table or an
alert passes through `redact` first.

It knows every configured secret without being told each time: the values of the
environment variables pulse reads secrets from (warehouse passwords, AWS keys), of every
variable a config names as holding a secret (`register_secret_env`, e.g. a webhook's
``url_env``), and of variables whose names say they are secret (``*PASSWORD*``,
``*TOKEN*``...). On top of the values, shapes that are secret wherever they come from are
masked: the credentials of ``scheme://user:password@host``, token-like query parameters,
long random path segments of http(s) URLs (a Slack webhook's path is its token) and AWS
access key ids. It lives in the bottom layer so that every stage can use it.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Iterable

MASK = "***"

# Variables pulse itself reads secrets from (always masked, whatever their length).
SECRET_ENV = ("PULSE_PG_PASSWORD", "PULSE_RS_PASSWORD", "PGPASSWORD", "AWS_SECRET_ACCESS_KEY",
              "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID", "DBT_ENV_SECRET_PG_PASSWORD",
              "DBT_ENV_SECRET_RS_PASSWORD")
# Names that say a variable holds a secret; such values need 8+ characters, so a flag like
# PULSE_WEBHOOK_ENABLED=true is not masked everywhere.
_SECRET_WORDS = ("PASSWORD", "PASSWD", "SECRET", "TOKEN", "WEBHOOK", "CREDENTIAL", "API_KEY",
                 "ACCESS_KEY", "PRIVATE_KEY", "DSN")
_GUESSED_MIN_CHARS = 8
_NAMED_MIN_CHARS = 4

_registered: set[str] = set()

_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]*@")
_QUERY_SECRET = re.compile(
    r"(?i)([?&;](?:[a-z0-9_-]*(?:token|key|secret|password|passwd|signature|sig|auth)[a-z0-9_-]*)=)"
    r"[^&;#\s\"']+")
_HTTP_URL = re.compile(r"(?i)\bhttps?://[^\s\"'<>]+")
_TOKEN_SEGMENT = re.compile(r"(?<=/)(?=[A-Za-z0-9_-]*[0-9])(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{16,}")
_AWS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")


def register_secret_env(*names: str) -> None:
    """Mark environment variables as holding secrets (a config names them, e.g. ``url_env``)."""
    _registered.update(n for n in names if n)


def secret_values(extra_env: Iterable[str] = ()) -> list[str]:
    """The current values of every secret variable, longest first (so no prefix wins)."""
    named = frozenset(SECRET_ENV) | _registered | frozenset(extra_env)
    return list(_secret_values(tuple(os.environ.items()), named))


@functools.lru_cache(maxsize=16)
def _secret_values(environ: tuple[tuple[str, str], ...], named: frozenset[str]) -> tuple[str, ...]:
    """secret_values of one state of the environment (every log record asks again)."""
    env = dict(environ)
    values = {env[n] for n in named if len(env.get(n, "")) >= _NAMED_MIN_CHARS}
    values |= {v for n, v in environ
               if n not in named and len(v) >= _GUESSED_MIN_CHARS
               and any(word in n.upper() for word in _SECRET_WORDS)}
    return tuple(sorted(values, key=len, reverse=True))


def _mask_url(match: re.Match) -> str:
    return _TOKEN_SEGMENT.sub(MASK, match.group(0))


def redact(text: object, extra_env: Iterable[str] = ()) -> str:
    """`text` with every known secret value and every secret-shaped part masked."""
    text = str(text)
    for value in secret_values(extra_env):
        text = text.replace(value, MASK)
    text = _URL_CREDENTIALS.sub(lambda m: f"{m.group(1)}{MASK}@", text)
    text = _QUERY_SECRET.sub(lambda m: m.group(1) + MASK, text)
    text = _HTTP_URL.sub(_mask_url, text)
    return _AWS_KEY_ID.sub(MASK, text)


def redact_optional(text: str | None) -> str | None:
    return None if text is None else redact(text)


class RedactingFilter(logging.Filter):
    """A handler filter: the record's message and traceback are redacted before any output."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), ()
        if record.exc_info:
            record.exc_text = self._formatter.formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def redact_handler(handler: logging.Handler) -> logging.Handler:
    """Add the redacting filter to a handler (once)."""
    if not any(isinstance(f, RedactingFilter) for f in handler.filters):
        handler.addFilter(RedactingFilter())
    return handler


def redact_root_handlers() -> None:
    """Every handler of the root logger redacts (call after logging is configured)."""
    for handler in logging.getLogger().handlers:
        redact_handler(handler)
