"""Apache/Nginx combined log format → contract `page_view` events.

``host ident user [10/Oct/2026:13:55:36 -0700] "GET /path?utm_source=x HTTP/1.1" 200 2326
"referrer" "user agent"``

Access logs carry no event id or user identity, so the event id is a hash of the line (an
identical resent line is a duplicate) and the anonymous id a hash of client address + user
agent (the address itself is never stored).
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

from ingest.contract import Limits, Rejection, validate
from ingest.formats.jsonl import line_rejection, utf8_rejection
from ingest.reader import Line

_COMBINED = re.compile(
    r'(?P<host>\S+) \S+ (?P<user>\S+) \[(?P<time>[^\]]+)\] '
    r'"(?P<method>[A-Z]+) (?P<target>\S+)(?: (?P<protocol>HTTP/[0-9.]+))?" '
    r'(?P<status>\d{3}) (?P<bytes>\d+|-)'
    r'(?: "(?P<referrer>(?:[^"\\]|\\.)*)" "(?P<agent>(?:[^"\\]|\\.)*)")?\s*'
)
_MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
_TIME = re.compile(r"(\d{2})/([A-Z][a-z]{2})/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-]\d{4})")
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign")


def _iso(clf_time: str) -> str | None:
    """``10/Oct/2026:13:55:36 -0700`` → ``2026-10-10T13:55:36-07:00`` (None if malformed)."""
    m = _TIME.fullmatch(clf_time)
    if not m or m.group(2) not in _MONTHS:
        return None
    day, mon, year, hh, mm, ss, off = m.groups()
    return f"{year}-{_MONTHS[mon]:02d}-{day}T{hh}:{mm}:{ss}{off[:3]}:{off[3:]}"


def to_event(text: str) -> dict | Rejection:
    """One combined-format line → a contract event object (not yet validated)."""
    m = _COMBINED.fullmatch(text)
    if not m:
        return Rejection("invalid_access_log", "line is not in combined log format")
    ts = _iso(m["time"])
    if ts is None:
        return Rejection("invalid_timestamp", f"bad access-log time {m['time'][:40]!r}")
    parts = urlsplit(m["target"])
    query = parse_qs(parts.query)
    agent = (m["agent"] or "").replace('\\"', '"')
    referrer = m["referrer"] if m["referrer"] not in (None, "-") else None
    properties = {
        "path": parts.path or "/", "method": m["method"], "status": int(m["status"]),
        "bytes": 0 if m["bytes"] == "-" else int(m["bytes"]), "referrer": referrer,
        "user_agent": agent or None,
        **{k: query[k][0] for k in UTM_KEYS if k in query},
    }
    digest = hashlib.sha256(f"{m['host']}|{agent}".encode()).hexdigest()[:24]
    return {
        "event_id": "acc_" + hashlib.sha256(text.encode()).hexdigest()[:32],
        "event": "page_view", "ts": ts,
        "user_id": None if m["user"] == "-" else m["user"],
        "anonymous_id": f"ip_{digest}", "platform": "web", "properties": properties,
    }


def parse_access_log(line: Line, batch_date: date, limits: Limits) -> tuple[list, bool] | Rejection:
    rejected = line_rejection(line) or utf8_rejection(line.data)
    if rejected is not None:
        return rejected
    event = to_event(line.data.decode("utf-8"))
    if isinstance(event, Rejection):
        return event
    return validate(event, batch_date, limits)
