"""Experiment exposures from `experiment_exposure` events (a log table declaration)."""

from ingest.schema import Column
from ingest.tables import LogTable

EXPERIMENT_EXPOSURES = LogTable(
    name="experiment_exposures",
    description="One row per experiment_exposure event: a user saw a variant of an experiment.",
    events={"experiment_exposure"},
    columns=[
        Column("exposed_at", "timestamp", False, "When the variant was shown (UTC)."),
        Column("user_id", "short_string", True, "Signed-in user, if any."),
        Column("anonymous_id", "short_string", True, "Device id, if any."),
        Column("experiment_key", "short_string", False, "Experiment key."),
        Column("variant", "short_string", False, "Variant shown."),
        Column("platform", "short_string", True, "Client platform."),
    ],
    derive=lambda e: {
        "exposed_at": e.event_at,
        "user_id": e.user_id,
        "anonymous_id": e.anonymous_id,
        "experiment_key": e.properties["experiment"],
        "variant": e.properties["variant"],
        "platform": e.platform,
    },
    sql={
        "exposed_at": "event_at",
        "user_id": "user_id",
        "anonymous_id": "anonymous_id",
        "experiment_key": "properties ->> 'experiment'",
        "variant": "properties ->> 'variant'",
        "platform": "platform",
    },
)
