"""Experiment assignment as a pure hash of (user, experiment).

A hash (not the RNG stream) makes a user's variant reproducible on its own: tests, seeds and
the analysis can recompute it without replaying the simulation.
"""

from __future__ import annotations

import hashlib

from simulator.config import DOUBLE_EXPOSURE_SHARE, EXPERIMENTS


def unit_hash(*parts: str) -> float:
    """A stable number in [0, 1) for the given strings (independent of PYTHONHASHSEED)."""
    digest = hashlib.sha256(":".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign_variant(user_id: str, experiment: str) -> str:
    """The variant a user truly gets (weights from `EXPERIMENTS`)."""
    variants: dict[str, float] = EXPERIMENTS[experiment]["variants"]
    u = unit_hash("assign", experiment, user_id) * sum(variants.values())
    acc = 0.0
    for name, weight in variants.items():
        acc += weight
        if u < acc:
            return name
    return next(reversed(variants))


def has_double_exposure_bug(user_id: str, experiment: str) -> bool:
    """Whether this user's exposures are sometimes logged with a wrong variant."""
    return unit_hash("double_exposure", experiment, user_id) < DOUBLE_EXPOSURE_SHARE


def wrong_variant(user_id: str, experiment: str) -> str:
    """The variant the logging bug reports instead of the true one (never the true one)."""
    names = list(EXPERIMENTS[experiment]["variants"])
    true = assign_variant(user_id, experiment)
    others = [n for n in names if n != true]
    return others[int(unit_hash("wrong", experiment, user_id) * len(others))]


def effect(user_id: str, experiment: str, metric: str) -> float:
    """True multiplier of `metric` for this user's variant (1.0 when none)."""
    variant = assign_variant(user_id, experiment)
    return float(EXPERIMENTS[experiment]["effects"].get(variant, {}).get(metric, 1.0))
