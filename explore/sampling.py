"""Approximate answers from a sample of users, each estimate with its 95% interval.

A user is in the sample when a hash of their id falls below the sampling rate, so every event of
a sampled user is kept and per-user metrics stay whole. The sample is split by the same hash
into ``BUCKETS`` random groups; the query runs on the whole sample and on each group, and the
spread of the group answers gives the standard error (the random-groups method): no
assumptions about what the query computes.

Additive results (counts, sums, distinct users: the groups' answers add up to the sample's) are
scaled up by 1 / rate; the others (averages, ratios, percentiles) are reported as they are.
Group keys are the non-numeric columns; a numeric column is an estimate.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

BUCKETS = 20
HASH_SPACE = 10_000  # sampling rate resolution: 0.01%
# Student t, two-sided 95%, by degrees of freedom (groups - 1).
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
       9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120,
       17: 2.110, 18: 2.101, 19: 2.093}
CUTOFF_VAR, BUCKET_VAR = "pulse_sample_cutoff", "pulse_sample_bucket"
_RATE = re.compile(r"(\d+(?:\.\d+)?)%")


class SampleError(ValueError):
    """A sampling rate that is not a percentage in (0, 100]."""


def parse_rate(text: str) -> float:
    """``"10%"`` -> 0.1; at most 0.01% resolution."""
    match = _RATE.fullmatch(text.strip())
    rate = float(match.group(1)) / 100 if match else -1.0
    if not 0 < rate <= 1 or round(rate * HASH_SPACE) == 0:
        raise SampleError(f"--sample {text!r}: give a percentage between 0.01% and 100%, e.g. 10%")
    return rate


def sample_key(column_names: Sequence[str]) -> str:
    """The user a row belongs to: user id, else device id, else the event itself."""
    keys = [c for c in ("user_id", "anonymous_id") if c in column_names] + ["event_id"]
    return f"coalesce({', '.join(keys)})"


def sample_filter(column_names: Sequence[str], seed: int = 0) -> str:
    """The view filter: in the sample (cutoff) and, when set, in one random group (bucket).

    ``seed`` picks another, independent sample of users (0: the default one)."""
    h = f"hash({sample_key(column_names)}{f', {int(seed)}' if seed else ''})"
    return (f"({h} % {HASH_SPACE}) < getvariable('{CUTOFF_VAR}') and "
            f"(getvariable('{BUCKET_VAR}') < 0 or ({h} // {HASH_SPACE}) % {BUCKETS} "
            f"= getvariable('{BUCKET_VAR}'))")


def cutoff(rate: float) -> int:
    return round(rate * HASH_SPACE)


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float
    scaled: bool  # additive, scaled up by 1 / rate

    def __str__(self) -> str:
        return f"{_num(self.value)} [{_num(self.low)}, {_num(self.high)}]"


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.4g}"


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, Decimal)) and not isinstance(v, bool)


def estimates(rate: float, columns: list[str], full: list[tuple],
              groups: list[list[tuple]]) -> list[tuple]:
    """Rows of ``full`` with every numeric cell replaced by an Estimate.

    ``groups`` are the same query's rows on each random group of the sample.
    """
    numeric = [i for i in range(len(columns)) if any(_is_number(r[i]) for r in full)
               and all(r[i] is None or _is_number(r[i]) for r in full)]
    keys = [i for i in range(len(columns)) if i not in numeric]

    def key(row: tuple) -> tuple:
        return tuple(row[i] for i in keys)

    by_group = [{key(r): r for r in g} for g in groups]
    additive = {i: all(r[i] is None or math.isclose(
        sum(float(g[key(r)][i] or 0) for g in by_group if key(r) in g), float(r[i]),
        rel_tol=1e-9, abs_tol=1e-9) for r in full) for i in numeric}
    m = len(groups)
    out = []
    for row in full:
        cells = list(row)
        for i in numeric:
            if row[i] is None:
                continue
            if additive[i]:
                values = [float(g[key(row)][i] or 0) * m / rate if key(row) in g else 0.0
                          for g in by_group]
                value = float(row[i]) / rate
            else:
                values = [float(g[key(row)][i]) for g in by_group
                          if key(row) in g and g[key(row)][i] is not None]
                value = float(row[i])
            half = _half_width(values)
            cells[i] = Estimate(value, value - half, value + half, additive[i])
        out.append(tuple(cells))
    return out


def _half_width(values: list[float]) -> float:
    """t * standard error of the mean of the group answers (inf with fewer than two groups)."""
    k = len(values)
    if k < 2:
        return math.inf
    mean = sum(values) / k
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (k - 1))
    return T95.get(k - 1, 1.96) * sd / math.sqrt(k)
