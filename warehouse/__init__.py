"""The bottom layer: where the warehouse is, how to talk to it, and pulse's own metadata.

Everything above (ingest, monitor, pipeline) reaches a warehouse only through this package:
a `Target` says which one, `connection(target)` gives its `SqlClient`, `meta` owns the
``pulse_meta`` tables, `locks` the named locks and `dbt` the dbt invocation. Nothing here
imports from the stages above.
"""

from __future__ import annotations

from warehouse.clients import SqlClient, client_class
from warehouse.locks import AlreadyRunning, NothingBuilt, connection, held, read_connection
from warehouse.target import TARGETS, Target, identifier, target_from_env


def connect(target: Target) -> SqlClient:
    """A client for the target without the single-writer queue (tests, one-shot readers)."""
    return client_class(target)(target)


__all__ = ["TARGETS", "AlreadyRunning", "NothingBuilt", "SqlClient", "Target", "client_class",
           "connect", "connection", "held", "identifier", "read_connection", "target_from_env"]
