"""Who exists: the signup plan, users with their acquisition touches, workspaces, invites.

Planning every signup (and the anonymous visits before it) up front is what lets a visit
land days before its signup while the simulation itself still streams day by day; the plan
is small per-user state, never events.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from typing import Any

from simulator.clock import day_start_ms, sample_time_in_day
from simulator.config import (
    BLOG_SLUGS,
    CAMPAIGNS,
    COUNTRIES,
    DAY_MS,
    DIRECT_CAMPAIGN,
    MARKETING_PATHS,
    MINUTE_MS,
    NEVER_UPGRADE_SHARE,
    PLATFORM_WEIGHTS,
    RELEASES,
    UPGRADE_LAG_DAYS,
    UTC_CLIENT_SHARE,
    WEEKDAY_FACTOR,
    BehaviourConfig,
)

_CAMPAIGN_WEIGHTS = [c["weight"] for c in CAMPAIGNS]
_COUNTRY_WEIGHTS = [c[1] for c in COUNTRIES]
_PLATFORMS = list(PLATFORM_WEIGHTS)
_PLATFORM_W = list(PLATFORM_WEIGHTS.values())


def random_hex(rng: random.Random, digits: int) -> str:
    """`digits` lowercase hex characters from the seeded RNG."""
    return f"{rng.getrandbits(digits * 4):0{digits}x}"


def pick_campaign(rng: random.Random) -> dict[str, Any]:
    """A weighted acquisition channel (paid, e-mail, organic or direct)."""
    return rng.choices(CAMPAIGNS, weights=_CAMPAIGN_WEIGHTS)[0]


def pick_location(rng: random.Random) -> tuple[str, str]:
    """(country, IANA zone) - a few clients run on a UTC clock wherever they are."""
    country, _, zones = rng.choices(COUNTRIES, weights=_COUNTRY_WEIGHTS)[0]
    tz = rng.choices([z for z, _ in zones], weights=[w for _, w in zones])[0]
    if rng.random() < UTC_CLIENT_SHARE:
        tz = "UTC"
    return country, tz


def landing_path(rng: random.Random, campaign: dict[str, Any]) -> str:
    """First page of a visit; blog landings get a concrete article."""
    path = campaign["landing"]
    return f"/blog/{rng.choice(BLOG_SLUGS)}" if path == "/blog" else path


def browse_path(rng: random.Random) -> str:
    """A further marketing page inside a visit."""
    path = rng.choice(MARKETING_PATHS)
    return f"/blog/{rng.choice(BLOG_SLUGS)}" if path == "/blog" else path


@dataclass(slots=True)
class Visit:
    """An anonymous web visit: landing with a campaign, then a few more pages."""

    start_ms: int
    anonymous_id: str
    campaign: dict[str, Any]
    paths: list[str]
    country: str
    tz: str


@dataclass(slots=True)
class Workspace:
    """A tenant: owner, size and the state of its subscription."""

    workspace_id: str
    owner: User
    created_ms: int
    api_integration: bool
    members: int = 1
    plan: str | None = None
    seats: int = 0
    mrr_cents: int = 0
    status: str = "free"  # free | active | canceled
    status_ms: int = 0


@dataclass(slots=True)
class User:
    """A person who signs up in the period: plan-time traits plus simulation state."""

    index: int
    user_id: str
    web_anon_id: str
    signup_ms: int
    signup_day: int
    country: str
    tz: str
    primary_platform: str
    engagement: float
    wants_invite: bool
    campaign: dict[str, Any]           # last touch, carried by the signup event
    signup_paths: list[str]            # pages of the signup visit before the signup
    upgrade_lag_ms: dict[str, int]
    workspace: Workspace | None = None
    is_owner: bool = False
    activated: bool = True
    last_ms: int = 0
    device_ids: dict[str, str] = field(default_factory=dict)
    other_browser_id: str | None = None
    first_exposure_ms: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class Invite:
    """A pending invitation an invitee can accept."""

    sent_ms: int
    workspace: Workspace


class InvitePool:
    """Invitations sent by members, waiting for a new user to accept them."""

    def __init__(self, ttl_days: int) -> None:
        self.ttl_ms = ttl_days * DAY_MS
        self.pending: list[Invite] = []

    def add(self, sent_ms: int, workspace: Workspace) -> None:
        self.pending.append(Invite(sent_ms, workspace))

    def take(self, rng: random.Random, at_ms: int) -> Invite | None:
        """Accept a random invite sent at least 5 minutes before `at_ms` and not expired."""
        self.pending = [i for i in self.pending if i.sent_ms >= at_ms - self.ttl_ms]
        usable = [k for k, i in enumerate(self.pending) if i.sent_ms <= at_ms - 5 * MINUTE_MS]
        if not usable:
            return None
        return self.pending.pop(rng.choice(usable))


def daily_signups(start: dt.date, days: int, users: int, growth: float) -> list[int]:
    """Signups per day: weekday seasonality times mild linear growth, summing to `users`."""
    weights = []
    for d in range(days):
        weekday = (start.weekday() + d) % 7
        weights.append(WEEKDAY_FACTOR[weekday] * (1 + growth * d / max(days - 1, 1)))
    total = sum(weights)
    exact = [users * w / total for w in weights]
    counts = [math.floor(x) for x in exact]
    # Largest remainder keeps the total exact and the allocation deterministic.
    order = sorted(range(days), key=lambda d: (-(exact[d] - counts[d]), d))
    for d in order[: users - sum(counts)]:
        counts[d] += 1
    return counts


def release_schedule(period_start_ms: int, days: int) -> dict[str, list[tuple[int, str]]]:
    """Per platform: [(release_ms, version)] ascending, from fractions of the period."""
    return {
        platform: [(period_start_ms + int(frac * days * DAY_MS), version)
                   for version, frac in releases]
        for platform, releases in RELEASES.items()
    }


def app_version(releases: list[tuple[int, str]], install_ms: int, lag_ms: int,
                now_ms: int) -> str:
    """Latest version released by install time, or by `now - lag` once users upgrade."""
    cutoff = max(install_ms, now_ms - lag_ms)
    version = releases[0][1]
    for release_ms, name in releases:
        if release_ms <= cutoff:
            version = name
    return version


class Population:
    """Plans all signups and their pre-signup visits; owns id counters and workspaces."""

    def __init__(self, rng: random.Random, start: dt.date, days: int, users: int,
                 cfg: BehaviourConfig) -> None:
        self.rng = rng
        self.cfg = cfg
        self.period_start_ms = day_start_ms(start)
        self.days = days
        self.users: list[User] = []
        self.signups_by_day: list[list[User]] = [[] for _ in range(days)]
        self.visits_by_day: list[list[Visit]] = [[] for _ in range(days)]
        self.workspaces: list[Workspace] = []
        self.invites = InvitePool(cfg.invite_ttl_days)
        self._plan(start, users)

    # ---------------------------------------------------------------- ids
    def new_anon_id(self) -> str:
        return "a_" + random_hex(self.rng, 20)

    def new_workspace(self, owner: User, created_ms: int) -> Workspace:
        ws = Workspace(f"w_{len(self.workspaces) + 1:06d}", owner, created_ms,
                       api_integration=self.rng.random() < self.cfg.api_workspace_share)
        self.workspaces.append(ws)
        return ws

    # ---------------------------------------------------------------- planning
    def _plan(self, start: dt.date, users: int) -> None:
        rng, cfg = self.rng, self.cfg
        planned: list[tuple[int, int, str, str]] = []
        for d, count in enumerate(daily_signups(start, self.days, users, cfg.growth)):
            day_ms = self.period_start_ms + d * DAY_MS
            for _ in range(count):
                country, tz = pick_location(rng)
                ms = max(sample_time_in_day(rng, day_ms, tz), day_ms + 20 * MINUTE_MS)
                planned.append((ms, d, country, tz))
        planned.sort()
        for index, (ms, d, country, tz) in enumerate(planned, start=1):
            self.users.append(self._new_user(index, ms, d, country, tz))

    def _new_user(self, index: int, signup_ms: int, day: int, country: str, tz: str) -> User:
        rng, cfg = self.rng, self.cfg
        lag = {
            p: (10**12 if rng.random() < NEVER_UPGRADE_SHARE
                else int(rng.expovariate(1 / mean) * DAY_MS) if mean > 0 else 0)
            for p, mean in UPGRADE_LAG_DAYS.items()
        }
        user = User(
            index=index,
            user_id=f"u_{index:06d}",
            web_anon_id=self.new_anon_id(),
            signup_ms=signup_ms,
            signup_day=day,
            country=country,
            tz=tz,
            primary_platform=rng.choices(_PLATFORMS, weights=_PLATFORM_W)[0],
            engagement=rng.lognormvariate(-cfg.engagement_sigma**2 / 2, cfg.engagement_sigma),
            wants_invite=rng.random() < cfg.invitee_share,
            campaign=DIRECT_CAMPAIGN,
            signup_paths=["/"],
            upgrade_lag_ms=lag,
        )
        self.signups_by_day[day].append(user)
        if not user.wants_invite:
            self._plan_touches(user)
        return user

    def _plan_touches(self, user: User) -> None:
        """1-3 visits over the days before signup, each with its own campaign; the last
        one is the signup visit and its campaign is the one the signup event carries."""
        rng = self.rng
        n_visits = rng.choices([1, 2, 3], weights=[0.5, 0.3, 0.2])[0]
        offsets = sorted(rng.sample(range(1, 5), n_visits - 1), reverse=True)
        campaign = pick_campaign(rng)
        budget = 5
        for offset in offsets:
            n_pages = min(rng.choice([1, 1, 2]), budget - 1)
            budget -= n_pages
            day = user.signup_day - offset
            paths = [landing_path(rng, campaign)] + [browse_path(rng) for _ in range(n_pages - 1)]
            anon = user.web_anon_id if rng.random() < 0.9 else self.new_anon_id()
            day_ms = self.period_start_ms + day * DAY_MS
            start_ms = sample_time_in_day(rng, day_ms, user.tz)
            if day >= 0:  # touches before the period are simply not in the data
                self.visits_by_day[day].append(
                    Visit(start_ms, anon, campaign, paths, user.country, user.tz))
            r = rng.random()
            campaign = (campaign if r < 0.35 else DIRECT_CAMPAIGN if r < 0.65
                        else pick_campaign(rng))
        n_pages = min(rng.choice([1, 2, 2, 3]), budget)
        user.campaign = campaign
        user.signup_paths = ([landing_path(rng, campaign)]
                             + [browse_path(rng) for _ in range(n_pages - 1)])
