"""Per-action performance timings from `perf_timing` events (a log table declaration)."""

from ingest.schema import Column
from ingest.tables import Event, LogTable


def derive(e: Event) -> dict:
    return {
        "event_at": e.event_at,
        "user_id": e.user_id,
        "platform": e.platform,
        "app_version": e.app_version,
        "action": e.properties["action"],
        "duration_ms": e.properties["duration_ms"],
    }


PERF_TIMINGS = LogTable(
    name="perf_timings",
    description="One row per perf_timing event: how long a client action took.",
    events={"perf_timing"},
    columns=[
        Column("event_at", "timestamp", False, "When the action was timed (UTC)."),
        Column("user_id", "short_string", True, "Signed-in user, if any."),
        Column("platform", "short_string", True, "Client platform."),
        Column("app_version", "short_string", True, "Client application version."),
        Column("action", "short_string", False, "The timed action, e.g. load_dashboard."),
        Column("duration_ms", "double", False, "Duration in milliseconds."),
    ],
    derive=derive,
    sql={
        "event_at": "event_at",
        "user_id": "user_id",
        "platform": "platform",
        "app_version": "app_version",
        "action": "properties ->> 'action'",
        "duration_ms": "properties ->> 'duration_ms'",
    },
)
