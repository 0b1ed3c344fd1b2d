"""`pulse summary` marks the days whose MAU window is not complete (no dbt run: the two
marts it reads are written by hand)."""

from __future__ import annotations

from datetime import date, timedelta

import warehouse
from pipeline.cli import main


def _marts(target, complete_from: date, last: date) -> None:
    with warehouse.connection(target) as client:
        client.execute("create schema marts")
        client.execute("create table marts.fct_events as select 'e1' as event_id, 'u1' as user_id, "
                       "timestamp '2026-10-01 10:00:00' as event_at")
        client.execute("create table marts.dim_users as select 'u1' as user_id, "
                       "timestamp '2026-10-01 10:00:00' as signed_up_at")
        client.execute("create table marts.rpt_active_users_daily (activity_date date, dau integer, "
                       "wau integer, mau integer, stickiness_dau_mau double, "
                       "is_mau_window_complete boolean)")
        for i in range(10):
            day = last - timedelta(days=i)
            client.execute("insert into marts.rpt_active_users_daily values "
                           f"(date '{day}', 1, 1, 1, 1.0, {str(day >= complete_from).lower()})")


def _summary_lines(target, monkeypatch, capsys) -> tuple[str, dict[str, str]]:
    monkeypatch.setenv("PULSE_DUCKDB_PATH", target.duckdb_path)
    assert main(["summary", "--target", "duckdb"]) == 0
    out = capsys.readouterr().out
    return out, {line.split()[0]: line for line in out.splitlines() if line.strip().startswith("2026-")}


def test_days_before_the_first_complete_mau_window_are_marked(duckdb_target, monkeypatch, capsys):
    _marts(duckdb_target, complete_from=date(2026, 10, 28), last=date(2026, 10, 30))
    out, days = _summary_lines(duckdb_target, monkeypatch, capsys)
    assert set(days) == {f"2026-10-{d}" for d in range(24, 31)}
    assert not days["2026-10-28"].endswith("*")  # the first complete window
    assert days["2026-10-27"].endswith("*")  # the last incomplete one
    assert "* incomplete: the MAU window starts before the first event date" in out


def test_no_mark_and_no_note_when_every_window_is_complete(duckdb_target, monkeypatch, capsys):
    _marts(duckdb_target, complete_from=date(2026, 10, 1), last=date(2026, 10, 30))
    out, days = _summary_lines(duckdb_target, monkeypatch, capsys)
    assert len(days) == 7 and not any(line.endswith("*") for line in days.values())
    assert "incomplete" not in out
