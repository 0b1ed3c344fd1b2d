"""A hostile raw batch for end-to-end runs: lines at and over every contract limit, and a
batch folder with one entry of every kind (docs/raw-event-contract.md, "Limits" and "What a
batch folder may hold"). What ingest accepts here, every warehouse must store and transform."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import orjson

from tests.test_ingest import line, write


def _deep(levels: int) -> str:
    return '{"k":' * levels + "1" + "}" * levels


def _raw_line(event_id: str, event: str, ts: str, props_json: str) -> bytes:
    return (f'{{"event_id":"{event_id}","event":"{event}","ts":"{ts}","user_id":"hostile_u1",'
            f'"workspace_id":"hostile_w1","properties":{props_json}}}').encode()


def accepted_lines(ts: str) -> list:
    """Storable however odd: every warehouse must take and transform these."""
    return [
        line("hostile_odd_text", ts=ts, event="page_view", user_id="hostile_u1", properties={
            "path": "/p\u2028q", "utm_source": "\u0001ctl\t\"quote'", "emoji": "\U0001f600",
            "": "empty key", "key with 'quotes' and \"dq\"": 1, "rtl": "\u202eabc"}),
        line("hostile_numbers", ts=ts, event="subscription_changed", user_id="hostile_u1",
             workspace_id="hostile_w1",
             properties={"plan": 7, "seats": 1e300, "mrr_cents": 10**15, "currency": None}),
        line("hostile_wrong_types", ts=ts, event="subscription_changed", user_id="hostile_u1",
             workspace_id="hostile_w1",
             properties={"plan": ["pro"], "seats": "many", "mrr_cents": 0, "currency": "USD"}),
        line("hostile_big_but_fits", ts=ts, event="login", user_id="hostile_u1",
             properties={"blob": "x" * 60_000}),
        _raw_line("hostile_depth_32", "login", ts, _deep(31)),
        line("hostile_keys_1000", ts=ts, event="login", user_id="hostile_u1",
             properties={f"k{i}": i for i in range(1000)}),
    ]


def rejected_lines(ts: str) -> dict[str, list]:
    """Reason code -> lines ingest must quarantine with it."""
    return {
        "too_deeply_nested": [_raw_line("hostile_depth_300", "login", ts, _deep(300)),
                              _raw_line("hostile_depth_1100", "login", ts, _deep(1100))],
        "unstorable_text": [_raw_line("hostile_nul_value", "page_view", ts, '{"path":"/a\\u0000b"}'),
                            _raw_line("hostile_nul_key", "login", ts, '{"a\\u0000":1}')],
        "too_many_keys": [line("hostile_keys_1001", ts=ts, event="login",
                               properties={f"k{i}": i for i in range(1001)})],
        "invalid_value": [line("hostile_mrr_overflow", ts=ts, event="subscription_changed",
                               workspace_id="hostile_w1", properties={"mrr_cents": 2**63})],
        "missing_required_field": [line("hostile_no_workspace", ts=ts, event="subscription_started",
                                        properties={"mrr_cents": 100})],
        "properties_too_large": [line("hostile_too_big", ts=ts, event="login",
                                      properties={"blob": "\u20ac" * 30_000})],
        # the billing marts add mrr_cents across workspaces in one currency
        "unsupported_currency": [line("hostile_eur", ts=ts, event="subscription_started",
                                      workspace_id="hostile_w1",
                                      properties={"mrr_cents": 100, "currency": "EUR"}),
                                 line("hostile_usd_lower", ts=ts, event="subscription_changed",
                                      workspace_id="hostile_w1",
                                      properties={"mrr_cents": 100, "currency": "usd"})],
        "invalid_property_type": [line("hostile_currency_number", ts=ts,
                                       event="subscription_canceled", workspace_id="hostile_w1",
                                       properties={"mrr_cents": 0, "currency": 840})],
    }


def access_log(day: date) -> list[str]:
    stamp = f"{day:%d}/{day:%b}/{day:%Y}:10:00:0"
    return [f'203.0.113.9 - - [{stamp}0 +0000] "GET /ok?utm_source=mail HTTP/1.1" 200 5',
            f'203.0.113.9 - - [{stamp}1 +0000] "GET /bad?utm_source=a%00b HTTP/1.1" 200 5']


SKIPPED = {".tmp-upload.jsonl": "hidden_name", "_SUCCESS": "hidden_name", "archive": "subfolder",
           "gone.jsonl": "dangling_symlink", "notes.txt": "unknown_format",
           "tab\\tname.jsonl": "unsafe_name"}


def add_hostile_batch(raw: Path, day: date) -> dict:
    """Write the corpus into raw/<day>/ (beside whatever is there); return what to expect:
    lines, accepted event ids, quarantine reasons, skipped entries."""
    ts = f"{day.isoformat()}T10:00:00Z"
    accepted, rejected = accepted_lines(ts), rejected_lines(ts)
    write(raw, day, "hostile.jsonl", accepted + [x for group in rejected.values() for x in group])
    write(raw, day, "hostile-web.log", access_log(day))
    write(raw, day, "hostile odd name, é.jsonl", [line("hostile_odd_name", ts=ts, user_id="hostile_u1")])
    folder = raw / day.isoformat()
    write(raw, day, ".tmp-upload.jsonl", [line("hostile_hidden", ts=ts)])
    write(raw, day, "_SUCCESS", [])
    write(folder / "archive", day, "old.jsonl", [line("hostile_archived", ts=ts)])
    (folder / "gone.jsonl").symlink_to(folder / "never-written.jsonl")
    (folder / "notes.txt").write_text("not events\n")
    write(raw, day, "tab\tname.jsonl", [line("hostile_tabbed", ts=ts)])
    reasons = {r: len(v) for r, v in rejected.items()}
    reasons["unstorable_text"] += 1  # the access-log line with %00
    return {"lines": len(accepted) + sum(reasons.values()) + 2,
            "accepted_ids": {orjson.loads(x)["event_id"] for x in accepted} | {"hostile_odd_name"},
            "accepted_rows": len(accepted) + 2,  # + the good access-log line, the odd-named file
            "quarantined": reasons, "skipped": {f"{day}/{k}": v for k, v in SKIPPED.items()}}
