"""What people do each day: anonymous visits, signups, sessions, API and billing traffic.

The simulation walks UTC days in order and only keeps per-user state, so events stream out
day by day.  Every property the marts are meant to measure (retention decay, weekly
seasonality, experiment effects, the perf regression) is produced here on purpose.
"""

from __future__ import annotations

import math
import random
from typing import Any

from simulator import billing
from simulator.clock import local_weekday, sample_time_in_day
from simulator.config import (
    DAY_MS,
    DOUBLE_EXPOSURE_WRONG_RATE,
    EXPERIMENTS,
    INVITE_CAMPAIGN,
    MINUTE_MS,
    PERF_ACTIONS,
    PERF_REGRESSION,
    PLATFORM_PERF_FACTOR,
    WEEKDAY_FACTOR,
    BehaviourConfig,
)
from simulator.events import Client, EventFactory
from simulator.experiments import assign_variant, effect, has_double_exposure_bug, wrong_variant
from simulator.population import (
    Population,
    User,
    Visit,
    app_version,
    browse_path,
    landing_path,
    pick_campaign,
    pick_location,
    random_hex,
    release_schedule,
)

APP_SERVERS = 3
APP_PATHS = ["/app/inbox", "/app/projects", "/app/calendar", "/app/reports",
             "/app/settings", "/app/members"]
ONBOARDING = "onboarding_checklist"
PRICING = "pricing_page_v2"


def _utm(campaign: dict[str, Any] | None, path: str) -> dict[str, Any]:
    """page_view / signup properties: utm_* and referrer of the touch (nulls when none)."""
    c = campaign or {}
    return {"path": path, "utm_source": c.get("source"), "utm_medium": c.get("medium"),
            "utm_campaign": c.get("campaign"), "referrer": c.get("referrer")}


class Simulator:
    """Generates the events of one UTC day at a time into an `EventFactory`."""

    def __init__(self, rng: random.Random, population: Population, factory: EventFactory,
                 cfg: BehaviourConfig) -> None:
        self.rng = rng
        self.pop = population
        self.factory = factory
        self.cfg = cfg
        self.start_ms = population.period_start_ms
        self.releases = release_schedule(self.start_ms, population.days)
        self.exp_start_ms = {k: self.start_ms + int(e["start_day"]) * DAY_MS
                             for k, e in EXPERIMENTS.items()}
        self.active: list[User] = []

    # ================================================================ day loop
    def simulate_day(self, d: int) -> None:
        """All events that start on UTC day `d` (a few spill past midnight)."""
        day_ms = self.start_ms + d * DAY_MS
        visits, self.pop.visits_by_day[d] = self.pop.visits_by_day[d], []
        for visit in visits:
            self._anonymous_visit(visit)
        self._bounced_visitors(d, day_ms)
        for user in self.active:
            self._user_day(user, d, day_ms)
        self._api_and_billing(day_ms)
        for user in self.pop.signups_by_day[d]:
            self._signup(user)
            self.active.append(user)
        self.pop.signups_by_day[d] = []

    # ================================================================ helpers
    def _gap(self, median_s: float, sigma: float, lo_s: float, hi_s: float) -> int:
        """Heavy-tailed pause between two events, in ms."""
        s = self.rng.lognormvariate(math.log(median_s), sigma)
        return int(min(max(s, lo_s), hi_s) * 1000) + self.rng.randrange(1000)

    def _server(self) -> int:
        return self.rng.randrange(APP_SERVERS)

    def _session_id(self) -> str:
        return "s_" + random_hex(self.rng, 16)

    def _web_version(self, ms: int) -> str:
        return app_version(self.releases["web"], ms, 0, ms)

    def _running(self, experiment: str, ms: int) -> bool:
        return ms >= self.exp_start_ms[experiment]

    # ================================================================ anonymous traffic
    def _anonymous_visit(self, v: Visit) -> int:
        """page_views of one anonymous web visit; returns the time of the last one."""
        client = Client(None, v.anonymous_id, None, self._session_id(), "web",
                        self._web_version(v.start_ms), v.country, v.tz, self._server())
        t = v.start_ms
        for i, path in enumerate(v.paths):
            if i:
                t += self._gap(35, 0.8, 3, 300)
            self.factory.emit(client, "page_view", t, _utm(v.campaign if i == 0 else None, path))
        return t

    def _bounced_visitors(self, d: int, day_ms: int) -> None:
        """Visitors who look around and never sign up (the funnel's denominator)."""
        expected = len(self.pop.signups_by_day[d]) * self.cfg.visitors_per_signup
        for _ in range(int(expected + self.rng.random())):
            country, tz = pick_location(self.rng)
            campaign = pick_campaign(self.rng)
            n_pages = self.rng.choices([1, 2, 3], weights=[0.55, 0.3, 0.15])[0]
            paths = [landing_path(self.rng, campaign)]
            paths += [browse_path(self.rng) for _ in range(n_pages - 1)]
            self._anonymous_visit(Visit(sample_time_in_day(self.rng, day_ms, tz),
                                        self.pop.new_anon_id(), campaign, paths, country, tz))

    # ================================================================ signup
    def _signup(self, user: User) -> None:
        """Signup visit (anonymous page_views), the signup itself, then onboarding."""
        rng, pop = self.rng, self.pop
        campaign, paths = user.campaign, user.signup_paths
        invite = pop.invites.take(rng, user.signup_ms) if user.wants_invite else None
        if invite is not None:
            ws = invite.workspace
            ws.members += 1
            campaign, paths = INVITE_CAMPAIGN, ["/invite/accept"]
            if rng.random() < 0.7:  # colleagues tend to sit in the same country
                user.country, user.tz = ws.owner.country, ws.owner.tz
        else:
            ws = pop.new_workspace(user, user.signup_ms)
            user.is_owner = True
        user.workspace = ws

        gaps = [self._gap(35, 0.7, 3, 280) for _ in paths]
        t = user.signup_ms - sum(gaps)
        session_id = self._session_id()
        client = Client(None, user.web_anon_id, None, session_id, "web",
                        self._web_version(t), user.country, user.tz, self._server())
        for i, path in enumerate(paths):
            self.factory.emit(client, "page_view", t,
                              _utm(campaign if i == 0 else None, path))
            t += gaps[i]
        client = client.but(user_id=user.user_id, workspace_id=ws.workspace_id)
        props = _utm(campaign, paths[0])
        del props["path"]
        props.update(method=rng.choice(["email", "email", "google_sso", "microsoft_sso"]),
                     invited=invite is not None)
        self.factory.emit(client, "signup", user.signup_ms, props)

        lift = effect(user.user_id, ONBOARDING, "task_created") \
            if self._running(ONBOARDING, user.signup_ms) else 1.0
        user.activated = rng.random() < min(1.0, self.cfg.activation_rate * lift)
        user.last_ms = user.signup_ms
        self._session(user, user.signup_ms + self._gap(20, 0.6, 2, 120), client=client,
                      onboarding=True)
        if rng.random() < 0.35:  # often back later the same day
            day_ms = self.start_ms + user.signup_day * DAY_MS
            self._sessions_on(user, day_ms, 1)

    # ================================================================ signed-in activity
    def _p_active(self, user: User, d: int, day_ms: int) -> float:
        """Retention decay a + b*exp(-t/tau), scaled by engagement, weekday and effects."""
        cfg = self.cfg
        age = d - user.signup_day
        p = cfg.retention_floor + cfg.retention_boost * math.exp(-age / cfg.retention_tau_days)
        p *= user.engagement * WEEKDAY_FACTOR[local_weekday(day_ms, user.tz)]
        p *= 1.1 if user.activated else 0.9
        first = user.first_exposure_ms.get(ONBOARDING)
        if first is not None and day_ms - first < 14 * DAY_MS:
            p *= effect(user.user_id, ONBOARDING, "retention")
        return min(p, 0.95)

    def _user_day(self, user: User, d: int, day_ms: int) -> None:
        if self.rng.random() < self._p_active(user, d, day_ms):
            n = self.rng.choices([1, 2, 3], weights=self.cfg.sessions_per_day)[0]
            self._sessions_on(user, day_ms, n)

    def _sessions_on(self, user: User, day_ms: int, n: int) -> None:
        """Up to `n` sessions on a day, each starting > 30 min after the previous ended."""
        starts = sorted(sample_time_in_day(self.rng, day_ms, user.tz) for _ in range(n))
        for s in starts:
            s = max(s, user.last_ms + 31 * MINUTE_MS + self.rng.randrange(30 * MINUTE_MS))
            if s >= day_ms + DAY_MS:
                break
            self._session(user, s)

    def _pick_platform(self, user: User) -> str:
        if user.primary_platform == "web" or self.rng.random() < 0.7:
            return user.primary_platform
        return "web"

    def _client(self, user: User, platform: str, ms: int) -> Client:
        if platform == "web":
            if user.other_browser_id is None and self.rng.random() < 0.05:
                user.other_browser_id = self.pop.new_anon_id()
            use_other = user.other_browser_id is not None and self.rng.random() < 0.3
            anon = user.other_browser_id if use_other else user.web_anon_id
        else:
            anon = user.device_ids.get(platform)
            if anon is None:
                anon = user.device_ids[platform] = self.pop.new_anon_id()
        version = app_version(self.releases[platform], user.signup_ms,
                              user.upgrade_lag_ms[platform], ms)
        ws = user.workspace.workspace_id if user.workspace else None
        return Client(user.user_id, anon, ws, self._session_id(), platform, version,
                      user.country, user.tz, self._server())

    def _perf(self, client: Client, action: str, ms: int) -> None:
        """perf_timing with a lognormal duration per action and platform; one version is
        slower in the tail for one action (the p90 regression)."""
        median, sigma = PERF_ACTIONS[action]
        median *= PLATFORM_PERF_FACTOR.get(client.platform or "web", 1.0)
        if action == PERF_REGRESSION["action"] and \
                client.app_version == PERF_REGRESSION["app_version"]:
            median *= PERF_REGRESSION["median_factor"]
            sigma += PERF_REGRESSION["extra_sigma"]
        duration = round(self.rng.lognormvariate(math.log(median), sigma), 1)
        self.factory.emit(client, "perf_timing", ms, {"action": action, "duration_ms": duration})

    def _expose(self, client: Client, user: User, experiment: str, ms: int) -> None:
        variant = assign_variant(user.user_id, experiment)
        if has_double_exposure_bug(user.user_id, experiment) and \
                self.rng.random() < DOUBLE_EXPOSURE_WRONG_RATE:
            variant = wrong_variant(user.user_id, experiment)
        user.first_exposure_ms.setdefault(experiment, ms)
        self.factory.emit(client, "experiment_exposure", ms,
                          {"experiment": experiment, "variant": variant})

    def _session(self, user: User, start_ms: int, client: Client | None = None,
                 onboarding: bool = False) -> None:
        """One session: entry event, exposures, perf of the first screen, then actions."""
        rng, emit = self.rng, self.factory.emit
        platform = client.platform if client else self._pick_platform(user)
        if client is None:
            client = self._client(user, platform or "web", start_ms)
        t = start_ms
        if not onboarding:
            if platform == "web" and rng.random() < 0.6:
                emit(client, "page_view", t, {"path": "/app"})
            else:
                emit(client, "login", t, {"method": rng.choice(["password", "sso", "token"])})
            t += self._gap(3, 0.6, 0.3, 30)
        if self._running(ONBOARDING, t) and t - user.signup_ms < \
                EXPERIMENTS[ONBOARDING]["exposure_days"] * DAY_MS:
            self._expose(client, user, ONBOARDING, t)
        self._perf(client, "load_dashboard", t)
        if platform in ("ios", "android", "desktop") and rng.random() < 0.6:
            t += self._gap(2, 0.5, 0.2, 20)
            self._perf(client, "sync", t)
        if onboarding and user.is_owner and rng.random() < 0.8:
            t += self._gap(40, 0.6, 5, 300)
            emit(client, "project_created", t, {"source": "onboarding"})

        n_actions = 1 + int(rng.expovariate(1 / (self.cfg.mean_actions * user.engagement ** 0.5)))
        pricing_at = self._pricing_slot(user, n_actions)
        for k in range(n_actions):
            t += self._gap(30, 1.0, 1, 480)
            step = self._pricing_visit if k == pricing_at else self._action
            t = step(user, client, t)
        user.last_ms = t

    def _pricing_slot(self, user: User, n_actions: int) -> int:
        """Which action of the session is a /pricing visit (-1 = none)."""
        ws = user.workspace
        free_owner = user.is_owner and ws is not None and ws.status != "active"
        p = self.cfg.pricing_view_owner if free_owner else self.cfg.pricing_view_member
        return self.rng.randrange(n_actions) if self.rng.random() < p else -1

    def _action(self, user: User, client: Client, t: int) -> int:
        rng, emit = self.rng, self.factory.emit
        in_window = t - user.first_exposure_ms.get(ONBOARDING, user.signup_ms) < \
            EXPERIMENTS[ONBOARDING]["effect_window_days"] * DAY_MS
        w_task = 0.0 if in_window and not user.activated else 0.24
        first_week = t - user.signup_ms < 7 * DAY_MS
        w_invite = (0.07 if first_week else 0.025) if user.is_owner else 0.01
        names = ["task_created", "task_completed", "comment_added", "page_view", "search",
                 "project_created", "invite_sent"]
        weights = [w_task, 0.2, 0.14, 0.14, 0.08, 0.025, w_invite]
        name = rng.choices(names, weights=weights)[0]
        if name == "task_created":
            emit(client, "task_created", t, {"source": rng.choice(["app", "app", "quick_add"])})
            self._perf(client, "save_task", t + rng.randrange(50, 900))
        elif name == "task_completed":
            self._perf(client, "open_task", t)
            t += self._gap(15, 0.8, 1, 240)
            emit(client, "task_completed", t, None)
            if rng.random() < 0.5:
                self._perf(client, "save_task", t + rng.randrange(50, 900))
        elif name == "comment_added":
            if rng.random() < 0.6:
                self._perf(client, "open_task", t)
                t += self._gap(20, 0.8, 2, 300)
            emit(client, "comment_added", t, {"length": int(rng.lognormvariate(4, 0.8)) + 1})
        elif name == "page_view":
            emit(client, "page_view", t, {"path": rng.choice(APP_PATHS)})
        elif name == "search":
            self._perf(client, "search", t)
        elif name == "project_created":
            emit(client, "project_created", t, {"source": "app"})
        elif name == "invite_sent" and user.workspace is not None:
            emit(client, "invite_sent", t, {"role": rng.choice(["member", "member", "admin"])})
            self.pop.invites.add(t, user.workspace)
        if rng.random() < 0.004:
            emit(client, "conversion", t + 1, {"goal": "contact_sales"})
        return t

    def _pricing_visit(self, user: User, client: Client, t: int) -> int:
        """/pricing view, pricing experiment exposure, upgrade click, maybe a checkout."""
        rng, cfg = self.rng, self.cfg
        self.factory.emit(client, "page_view", t, {"path": "/pricing"})
        lift = 1.0
        if self._running(PRICING, t):
            self._expose(client, user, PRICING, t + rng.randrange(20, 400))
            lift = effect(user.user_id, PRICING, "conversion")
        if rng.random() >= cfg.conversion_rate * lift:
            return t
        t += self._gap(12, 0.8, 1, 180)
        plan = rng.choices(["starter", "pro", "business"], weights=[0.45, 0.4, 0.15])[0]
        self.factory.emit(client, "conversion", t,
                          {"goal": EXPERIMENTS[PRICING]["goal"], "plan": plan})
        ws = user.workspace
        if user.is_owner and ws is not None and ws.status != "active" and \
                t - ws.created_ms > DAY_MS and rng.random() < cfg.checkout_after_click:
            t += self._gap(90, 0.6, 20, 600)
            billing.start(rng, self.factory, client, ws, t, plan)
        return t

    # ================================================================ server-side traffic
    def _api_and_billing(self, day_ms: int) -> None:
        """API integrations (tasks via the public API) and the billing system's events.

        Both are server-to-server: platform `api`, UTC `Z` timestamps, no device id.
        Self-serve subscriptions of engaged owners also start here (checkout from a
        billing e-mail), so paid plans do not depend on a pricing click alone.
        """
        rng, cfg = self.rng, self.cfg
        for ws in self.pop.workspaces:
            if ws.created_ms >= day_ms:
                continue
            owner = ws.owner
            api = Client(owner.user_id, None, ws.workspace_id, None, "api", None, None, None,
                         self._server())
            if ws.api_integration and rng.random() < 0.7:
                for _ in range(rng.randint(1, 8)):
                    name = "task_created" if rng.random() < 0.7 else "task_completed"
                    emit_ms = day_ms + rng.randrange(DAY_MS)
                    self.factory.emit(api, name, emit_ms, {"source": "api",
                                      "integration": rng.choice(["zapier", "jira_sync"])})
            age_ms = day_ms - ws.status_ms
            at = day_ms + rng.randrange(DAY_MS)
            if ws.status == "free":
                if day_ms - ws.created_ms >= 2 * DAY_MS and owner.last_ms > day_ms - 3 * DAY_MS \
                        and rng.random() < cfg.subscribe_base:
                    billing.start(rng, self.factory, api, ws, at)
            elif ws.status == "active" and age_ms > 2 * DAY_MS:
                r = rng.random()
                if r < cfg.cancel_per_day:
                    billing.cancel(rng, self.factory, api, ws, at)
                elif r < cfg.cancel_per_day + cfg.change_per_day:
                    billing.change(rng, self.factory, api, ws, at)
            elif ws.status == "canceled" and age_ms > DAY_MS and \
                    rng.random() < cfg.reactivate_per_day:
                billing.start(rng, self.factory, api, ws, at)
