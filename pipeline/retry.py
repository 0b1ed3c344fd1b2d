"""Retries with backoff for transient failures, fail-fast for permanent ones, and deadlines.

A task is retried only when the error says "try again later" (connection refused, S3 5xx,
serialization failure, a busy DuckDB file); bad SQL or bad config fail at once, so a
broken model does not cost minutes of pointless retries before the alert goes out.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

# PostgreSQL/Redshift SQLSTATEs worth retrying: serialization failure, deadlock, admin
# shutdown, cannot connect now, connection failures, too many connections.
TRANSIENT_SQLSTATES = {"40001", "40P01", "57P01", "57P03", "08000", "08001", "08003", "08006", "53300"}
TRANSIENT_CLASS_NAMES = {"SerializationFailure", "DeadlockDetected", "EndpointConnectionError",
                         "ConnectionClosedError", "ReadTimeoutError", "ConnectTimeoutError"}
TRANSIENT_MESSAGES = ("could not connect", "connection refused", "server closed the connection",
                      "could not set lock on file", "conflicting lock is held",
                      "terminating connection due to administrator command")
TRANSIENT_S3_CODES = {"SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeout",
                      "RequestTimeTooSkewed"}


class TaskTimeout(RuntimeError):
    """A task ran past its deadline (permanent: rerunning it blindly would just time out again)."""


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def is_transient(exc: BaseException) -> bool:
    """True when the error, or one it was raised from, is worth retrying after a pause."""
    for err in _chain(exc):
        if isinstance(err, TaskTimeout):
            return False
        if isinstance(err, (ConnectionError, TimeoutError)):
            return True
        if getattr(err, "pgcode", None) in TRANSIENT_SQLSTATES:
            return True
        if TRANSIENT_CLASS_NAMES & {c.__name__ for c in type(err).__mro__}:
            return True
        response = getattr(err, "response", None)
        if isinstance(response, dict):  # botocore ClientError
            status = response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
            if status >= 500 or response.get("Error", {}).get("Code") in TRANSIENT_S3_CODES:
                return True
        if any(m in str(err).lower() for m in TRANSIENT_MESSAGES):
            return True
    return False


def _env_number(variable: str, kind: type[int] | type[float], default: float, low: float) -> float:
    text = os.environ.get(variable, "")
    if text == "":
        return default
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or value != value or value < low:
        raise ValueError(f"{variable}={text!r} is not valid: use "
                         f"{'a whole number' if kind is int else 'a number'} of at least {low:g}")
    return value


def retry_settings() -> tuple[int, float]:
    """(attempts, base delay in seconds) from PULSE_RETRY_ATTEMPTS (4, at least 1) and
    PULSE_RETRY_BASE_SECONDS (2, at least 0); a bad value is a ValueError naming it."""
    return (int(_env_number("PULSE_RETRY_ATTEMPTS", int, 4, 1)),
            float(_env_number("PULSE_RETRY_BASE_SECONDS", float, 2.0, 0)))


def retry_call(fn: Callable[[], T], attempts: int | None = None, base_delay: float | None = None,
               what: str = "task", sleep: Callable[[float], None] = time.sleep) -> T:
    """Call fn; on a transient error wait base_delay * 2**n (capped at 60 s) and try again.

    Defaults come from PULSE_RETRY_ATTEMPTS (4) and PULSE_RETRY_BASE_SECONDS (2).
    """
    env_attempts, env_base = retry_settings()
    attempts = attempts or env_attempts
    base = base_delay if base_delay is not None else env_base
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except Exception as exc:
            if attempt == attempts or not is_transient(exc):
                raise
            delay = min(base * 2 ** (attempt - 1), 60.0)
            log.warning("%s: transient %s (%s); attempt %d/%d, retrying in %.1fs", what,
                        type(exc).__name__, str(exc).splitlines()[0][:200] if str(exc) else "",
                        attempt, attempts, delay)
            sleep(delay)
    raise AssertionError("unreachable")


@contextlib.contextmanager
def deadline(seconds: float | None, what: str = "task") -> Iterator[None]:
    """Raise TaskTimeout in this (main) thread when the block runs longer than seconds."""
    if not seconds or seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield  # SIGALRM only reaches the main thread; luigi runs tasks there or in child processes
        return

    def _expired(signum, frame):
        raise TaskTimeout(f"{what} exceeded its timeout of {seconds:g}s")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
