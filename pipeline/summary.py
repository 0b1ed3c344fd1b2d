"""A short, human summary of what the marts hold (printed by `make demo`)."""

from __future__ import annotations

from datetime import datetime

from warehouse.locks import NothingBuilt, read_connection
from warehouse.target import Target

QUERIES = {
    "fct_events": "select count(*), count(distinct user_id), min(event_at), max(event_at) "
                  "from marts.fct_events",
    "dim_users": "select count(*), count(signed_up_at), null, null from marts.dim_users",
    "rpt_active_users_daily": "select count(*), max(dau), min(activity_date), "
                              "max(activity_date) from marts.rpt_active_users_daily",
}
LATEST = ("select activity_date, dau, wau, mau, stickiness_dau_mau, is_mau_window_complete "
          "from marts.rpt_active_users_daily order by activity_date desc limit 7")
PARTIAL = ("* incomplete: the MAU window starts before the first event date loaded, "
           "so MAU and DAU/MAU are understated")


def when(value: object) -> str:
    """A timestamp to the second (UTC, as stored): no microsecond noise on the terminal."""
    return f"{value:%Y-%m-%d %H:%M:%S}" if isinstance(value, datetime) else str(value)


def print_summary(target: Target) -> None:
    """Only reads the marts; NothingBuilt when dbt has not built them (nothing is created)."""
    with read_connection(target) as client:
        if not client.table_exists("marts", "rpt_active_users_daily") or \
                not client.table_exists("marts", "fct_events"):
            raise NothingBuilt(f"nothing is built yet in {target.describe()}: no marts "
                               "(run `pulse run` first)")
        print(f"warehouse {target.describe()}")
        for name, sql in QUERIES.items():
            a, b, c, d = (v if v is not None else 0 for v in client.fetchone(sql))
            if name == "fct_events":
                print(f"  fct_events: {a:,} events from {b:,} users, {when(c)} .. {when(d)}")
            elif name == "dim_users":
                print(f"  dim_users: {a:,} users, {b:,} with a signup event")
            else:
                print(f"  rpt_active_users_daily: {a} days {c} .. {d}, peak DAU {b:,}")
        print("  last 7 days: date        DAU    WAU    MAU  DAU/MAU")
        partial = False
        for day, dau, wau, mau, stick, complete in client.fetchall(LATEST):
            mark = "" if complete else " *"
            partial = partial or not complete
            print(f"               {day} {dau:6,} {wau:6,} {mau:6,}  {float(stick or 0):.3f}{mark}")
        if partial:
            print(f"  {PARTIAL}")
