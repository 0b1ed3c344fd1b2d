"""Deterministic simulator of raw product events (see docs/raw-event-contract.md).

`generate()` writes daily gzip JSONL batches with realistic behaviour (acquisition,
workspaces, retention decay, subscriptions, experiments with true effects, a perf
regression) and realistic delivery faults.  The constants re-exported here are the ground
truth the marts and tests can check against.
"""

from simulator.config import EXPERIMENTS, PERF_REGRESSION, PLANS, BehaviourConfig
from simulator.experiments import assign_variant
from simulator.generator import generate

__all__ = ["EXPERIMENTS", "PERF_REGRESSION", "PLANS", "BehaviourConfig", "assign_variant",
           "generate"]
