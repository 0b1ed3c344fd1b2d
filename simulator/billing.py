"""Subscription lifecycle of a workspace: start, change, cancel, reactivate.

Kept apart from session behaviour because MRR must stay internally consistent (every event
carries the workspace's MRR *after* it), which is easiest to guarantee in one small module.
"""

from __future__ import annotations

import random
from typing import Any

from simulator.config import CURRENCY, PLAN_ORDER, PLAN_WEIGHTS, PLANS
from simulator.events import Client, EventFactory
from simulator.population import Workspace


def _props(ws: Workspace, **extra: Any) -> dict[str, Any]:
    return {"plan": ws.plan, "seats": ws.seats, "mrr_cents": ws.mrr_cents,
            "currency": CURRENCY, **extra}


def start(rng: random.Random, factory: EventFactory, client: Client, ws: Workspace,
          ms: int, plan: str | None = None) -> None:
    """`subscription_started` (first purchase or reactivation after a cancel)."""
    reactivation = ws.status == "canceled"
    if plan is None and reactivation:
        plan = ws.plan
    if plan is None:
        plan = rng.choices(list(PLAN_WEIGHTS), weights=list(PLAN_WEIGHTS.values()))[0]
    ws.plan = plan
    ws.seats = max(ws.members, 1) + rng.choice([0, 0, 0, 1, 2, 3, 5])
    ws.mrr_cents = ws.seats * PLANS[plan]
    ws.status, ws.status_ms = "active", ms
    factory.emit(client, "subscription_started", ms, _props(
        ws, billing_period="monthly", reactivation=reactivation))


def change(rng: random.Random, factory: EventFactory, client: Client, ws: Workspace,
           ms: int) -> None:
    """`subscription_changed`: seats or plan, up or down."""
    prev = {"previous_plan": ws.plan, "previous_seats": ws.seats,
            "previous_mrr_cents": ws.mrr_cents}
    rank = PLAN_ORDER.index(ws.plan or "starter")
    kind = rng.choices(["seats_added", "seats_removed", "upgrade", "downgrade"],
                       weights=[0.45, 0.15, 0.28, 0.12])[0]
    if kind == "upgrade" and rank == len(PLAN_ORDER) - 1:
        kind = "seats_added"
    if kind == "downgrade" and rank == 0:
        kind = "seats_removed"
    if kind == "seats_removed" and ws.seats <= 1:
        kind = "seats_added"
    if kind == "seats_added":
        ws.seats += rng.randint(1, 3)
    elif kind == "seats_removed":
        ws.seats -= rng.randint(1, min(2, ws.seats - 1))
    else:
        ws.plan = PLAN_ORDER[rank + (1 if kind == "upgrade" else -1)]
    ws.mrr_cents = ws.seats * PLANS[ws.plan or "starter"]
    ws.status_ms = ms
    factory.emit(client, "subscription_changed", ms, _props(ws, change=kind, **prev))


def cancel(rng: random.Random, factory: EventFactory, client: Client, ws: Workspace,
           ms: int) -> None:
    """`subscription_canceled`: MRR drops to 0, plan and seats are kept for reference."""
    ws.mrr_cents = 0
    ws.status, ws.status_ms = "canceled", ms
    reason = rng.choice(["too_expensive", "missing_features", "switched_tool", "other"])
    factory.emit(client, "subscription_canceled", ms, _props(ws, reason=reason))
