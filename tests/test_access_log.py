"""Web server access logs (combined format) → page_view events."""

from datetime import date

import orjson
import pytest

from ingest.contract import Limits, Rejection
from ingest.formats.access_log import parse_access_log, to_event
from ingest.reader import Line
from ingest.run import ingest
from tests.helpers import ingest_options
from tests.test_ingest import rows, write

GOOD = ('203.0.113.9 - - [25/Nov/2026:21:30:05 -0500] "GET /pricing?utm_source=google&'
        'utm_medium=cpc&utm_campaign=brand HTTP/1.1" 200 5120 "https://www.google.com/" '
        '"Mozilla/5.0 (X11; Linux x86_64) \\"quoted\\""')


def parse(text, batch=date(2026, 11, 26)):
    return parse_access_log(Line(1, text.encode()), batch, Limits())


def test_combined_line_becomes_a_utc_page_view():
    row, had_offset = parse(GOOD)
    assert row[1] == "page_view" and had_offset
    assert row[2] == "2026-11-26 02:30:05.000000"  # local date differs from the UTC date
    assert row[3] is None and row[4].startswith("ip_") and "203.0.113.9" not in row[4]
    props = orjson.loads(row[10])
    assert props == {"path": "/pricing", "method": "GET", "status": 200, "bytes": 5120,
                     "referrer": "https://www.google.com/", "utm_source": "google",
                     "utm_medium": "cpc", "utm_campaign": "brand",
                     "user_agent": 'Mozilla/5.0 (X11; Linux x86_64) "quoted"'}


def test_same_client_same_anonymous_id_and_line_hash_event_id():
    a, b = to_event(GOOD), to_event(GOOD.replace("/pricing", "/features"))
    assert a["anonymous_id"] == b["anonymous_id"] and a["event_id"] != b["event_id"]
    assert to_event(GOOD)["event_id"] == a["event_id"]


def test_common_format_without_referrer_and_user():
    row, _ = parse('10.0.0.1 - alice [26/Nov/2026:00:00:00 +0000] "POST /api/x HTTP/1.0" 500 -')
    assert row[3] == "alice" and orjson.loads(row[10])["bytes"] == 0


@pytest.mark.parametrize("text, reason", [
    ("not a log line", "invalid_access_log"),
    ('1.2.3.4 - - [26/Foo/2026:00:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "ua"', "invalid_timestamp"),
    ('1.2.3.4 - - [26/Nov/2026:00:00:00 +0000] "GET / HTTP/1.1" 2000 1 "-" "ua"', "invalid_access_log"),
    ('1.2.3.4 - - [01/Jan/2020:00:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "ua"', "timestamp_too_old"),
])
def test_malformed_lines_are_rejected(text, reason):
    result = parse(text)
    assert isinstance(result, Rejection) and result.reason == reason


def test_access_log_files_ingest_beside_jsonl(tmp_path, engine):
    raw, lake = tmp_path / "raw", tmp_path / "lake"
    batch = date(2026, 11, 26)
    write(raw, batch, "web-1.log", [GOOD, GOOD, "garbage"])
    write(raw, batch, "app.jsonl", [orjson.dumps({"event_id": "e1", "event": "login",
          "ts": "2026-11-26T10:00:00Z", "user_id": "u1"}).decode()])
    m = ingest(raw, lake, [batch], ingest_options(engine, max_quarantine_share=0.5))
    m = m["2026-11-26"]["events"]
    assert (m.rows, m.duplicates_in_batch, m.quarantined) == (
        2, 1, {"invalid_access_log": 1})
    assert sorted(r[1] for r in rows(lake, batch)) == ["login", "page_view"]
