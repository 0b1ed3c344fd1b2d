"""Knobs and reference data of the simulator, in one place.

Everything the downstream marts are expected to *find* in the data (experiment effects, the
perf regression, plan prices, campaigns) is declared here as a plain constant, so tests, dbt
seeds and docs can import the truth instead of re-typing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MINUTE_MS = 60_000

# --------------------------------------------------------------------------------------
# Experiments: the ground truth the experiment marts must recover.
# `start_day` is an offset from the first simulated day; `effects` are multipliers on the
# behaviour they name (1.0 = no true effect).
# --------------------------------------------------------------------------------------
EXPERIMENTS: dict[str, dict[str, Any]] = {
    "onboarding_checklist": {
        "variants": {"control": 0.5, "checklist": 0.5},
        "start_day": 0,
        # Shown in the sessions of a user's first `exposure_days` days after signup.
        "exposure_days": 14,
        "effects": {
            # P(user creates tasks in the first 7 days after first exposure), relative.
            "checklist": {"task_created": 1.30, "retention": 1.08},
            "control": {"task_created": 1.0, "retention": 1.0},
        },
        "effect_window_days": 7,
    },
    "pricing_page_v2": {
        "variants": {"control": 0.5, "annual_toggle": 0.25, "bigger_cta": 0.25},
        "start_day": 7,
        # Exposed on every /pricing view of a signed-in user once running.
        "effects": {
            "bigger_cta": {"conversion": 1.80},
            "annual_toggle": {"conversion": 1.0},
            "control": {"conversion": 1.0},
        },
        "goal": "upgrade_click",
    },
}
# Share of users hit by the double-exposure logging bug (per experiment), and how often a
# bugged user's exposure reports the wrong variant.
DOUBLE_EXPOSURE_SHARE = 0.003
DOUBLE_EXPOSURE_WRONG_RATE = 0.3

# --------------------------------------------------------------------------------------
# Acquisition. (source, medium, campaign, referrer, landing path, weight)
# Organic / direct traffic has no utm_* but may have a referrer.
# --------------------------------------------------------------------------------------
CAMPAIGNS: list[dict[str, Any]] = [
    {"source": "google", "medium": "cpc", "campaign": "brand_search",
     "referrer": "https://www.google.com/", "landing": "/", "weight": 0.13},
    {"source": "google", "medium": "cpc", "campaign": "generic_task_management",
     "referrer": "https://www.google.com/", "landing": "/features", "weight": 0.10},
    {"source": "facebook", "medium": "paid_social", "campaign": "retargeting_q4",
     "referrer": "https://l.facebook.com/", "landing": "/pricing", "weight": 0.06},
    {"source": "facebook", "medium": "paid_social", "campaign": "lookalike_teams",
     "referrer": "https://l.facebook.com/", "landing": "/", "weight": 0.05},
    {"source": "linkedin", "medium": "paid_social", "campaign": "b2b_managers",
     "referrer": "https://www.linkedin.com/", "landing": "/features", "weight": 0.05},
    {"source": "newsletter", "medium": "email", "campaign": "weekly_digest",
     "referrer": None, "landing": "/blog", "weight": 0.07},
    {"source": "capterra", "medium": "referral", "campaign": "listing_2026",
     "referrer": "https://www.capterra.com/", "landing": "/pricing", "weight": 0.03},
    {"source": None, "medium": None, "campaign": None,
     "referrer": "https://www.google.com/", "landing": "/blog", "weight": 0.20},
    {"source": None, "medium": None, "campaign": None,
     "referrer": "https://news.ycombinator.com/", "landing": "/", "weight": 0.03},
    {"source": None, "medium": None, "campaign": None,
     "referrer": None, "landing": "/", "weight": 0.28},
]
# Campaign of a user who signs up from a workspace invitation e-mail.
INVITE_CAMPAIGN: dict[str, Any] = {
    "source": "invite", "medium": "email", "campaign": "workspace_invite",
    "referrer": None, "landing": "/invite/accept", "weight": 0.0,
}
DIRECT_CAMPAIGN: dict[str, Any] = CAMPAIGNS[-1]
MARKETING_PATHS = ["/", "/pricing", "/features", "/customers", "/integrations", "/blog"]
BLOG_SLUGS = ["remote-standups", "okr-template", "kanban-vs-scrum", "weekly-planning",
              "async-updates", "release-checklists", "team-rituals"]

# --------------------------------------------------------------------------------------
# Geography: (country, weight, [(tz, weight), ...]).  Real IANA zones incl. DST ones and the
# contract's extremes (+14:00, -11:00) and half-hour offsets.
# --------------------------------------------------------------------------------------
COUNTRIES: list[tuple[str, float, list[tuple[str, float]]]] = [
    ("US", 0.28, [("America/New_York", 0.5), ("America/Chicago", 0.2),
                  ("America/Los_Angeles", 0.3)]),
    ("DE", 0.10, [("Europe/Berlin", 1.0)]),
    ("GB", 0.08, [("Europe/London", 1.0)]),
    ("IN", 0.09, [("Asia/Kolkata", 1.0)]),
    ("BR", 0.05, [("America/Sao_Paulo", 1.0)]),
    ("FR", 0.05, [("Europe/Paris", 1.0)]),
    ("CA", 0.05, [("America/Toronto", 0.7), ("America/Vancouver", 0.3)]),
    ("AU", 0.05, [("Australia/Sydney", 1.0)]),
    ("JP", 0.04, [("Asia/Tokyo", 1.0)]),
    ("ES", 0.04, [("Europe/Madrid", 1.0)]),
    ("NL", 0.03, [("Europe/Amsterdam", 1.0)]),
    ("MX", 0.03, [("America/Mexico_City", 1.0)]),
    ("SG", 0.02, [("Asia/Singapore", 1.0)]),
    ("NG", 0.02, [("Africa/Lagos", 1.0)]),
    ("NP", 0.02, [("Asia/Kathmandu", 1.0)]),
    ("NZ", 0.01, [("Pacific/Auckland", 1.0)]),
    ("KI", 0.02, [("Pacific/Kiritimati", 1.0)]),
    ("AS", 0.02, [("Pacific/Pago_Pago", 1.0)]),
]
# Share of users whose device clock is set to UTC regardless of where they are.
UTC_CLIENT_SHARE = 0.04

# Relative activity by *local* hour of day (index 0..23).
DIURNAL = [0.12, 0.07, 0.04, 0.03, 0.03, 0.06, 0.2, 0.5, 0.85, 1.0, 1.0, 0.95,
           0.8, 0.9, 1.0, 0.95, 0.85, 0.7, 0.55, 0.55, 0.5, 0.45, 0.35, 0.2]
# Relative activity by weekday (Monday = 0).
WEEKDAY_FACTOR = [1.0, 1.05, 1.05, 1.0, 0.9, 0.45, 0.4]

# --------------------------------------------------------------------------------------
# Platforms and releases.  Release times are fractions of the simulated period (negative =
# before it), so short test runs still see upgrades and the regressed version.
# --------------------------------------------------------------------------------------
PLATFORM_WEIGHTS = {"web": 0.55, "ios": 0.18, "android": 0.15, "desktop": 0.12}
RELEASES: dict[str, list[tuple[str, float]]] = {
    "web": [("4.10.2", -2.0), ("4.11.0", 0.2), ("4.12.0", 0.5)],
    "ios": [("4.10.1", -1.5), ("4.11.0", 0.25), ("4.12.0", 0.55)],
    "android": [("4.10.0", -1.5), ("4.11.1", 0.3), ("4.12.0", 0.6)],
    "desktop": [("4.9.5", -3.0), ("4.11.0", 0.3), ("4.12.0", 0.6)],
}
# Mean upgrade lag in days after a release (web deploys are picked up at once).
UPGRADE_LAG_DAYS = {"web": 0.0, "ios": 2.5, "android": 4.0, "desktop": 3.0}
NEVER_UPGRADE_SHARE = 0.05

# perf_timing: lognormal per action: (median ms, sigma).
PERF_ACTIONS: dict[str, tuple[float, float]] = {
    "load_dashboard": (850.0, 0.55),
    "open_task": (240.0, 0.5),
    "save_task": (180.0, 0.45),
    "search": (420.0, 0.6),
    "sync": (1300.0, 0.75),
}
PLATFORM_PERF_FACTOR = {"web": 1.0, "desktop": 0.85, "ios": 1.1, "android": 1.35, "api": 0.5}
# The p90 regression to find: this version makes this action slower, mostly in the tail.
PERF_REGRESSION: dict[str, Any] = {
    "app_version": "4.12.0", "action": "search", "median_factor": 1.15, "extra_sigma": 0.4,
}

# --------------------------------------------------------------------------------------
# Billing.
# --------------------------------------------------------------------------------------
PLANS: dict[str, int] = {"starter": 800, "pro": 1600, "business": 3200}  # cents/seat/month
PLAN_ORDER = ["starter", "pro", "business"]
PLAN_WEIGHTS = {"starter": 0.5, "pro": 0.35, "business": 0.15}
CURRENCY = "USD"

# --------------------------------------------------------------------------------------
# Faults: how a `fault_rate` is split across kinds.
# --------------------------------------------------------------------------------------
FAULT_SPLIT: dict[str, float] = {
    "malformed_json": 0.25, "missing_field": 0.2, "duplicate": 0.35, "late": 0.2,
}


@dataclass(frozen=True)
class BehaviourConfig:
    """Tunable rates of the behaviour model (defaults give ~100-250k lines per 2000 users
    over four weeks)."""

    growth: float = 0.25                  # signups grow by this fraction over the period
    visitors_per_signup: float = 1.6      # anonymous visitors who never sign up
    invitee_share: float = 0.3            # users who want to join via an invite
    invite_ttl_days: int = 14
    retention_floor: float = 0.14         # a in a + b*exp(-t/tau)
    retention_boost: float = 0.6          # b
    retention_tau_days: float = 4.0       # tau
    engagement_sigma: float = 0.5
    sessions_per_day: tuple[float, float, float] = (0.55, 0.3, 0.15)  # P(1, 2, 3)
    mean_actions: float = 4.0
    activation_rate: float = 0.5          # P(create tasks in the first week), control
    pricing_view_owner: float = 0.22      # P(/pricing visit per session), unpaid workspace owner
    pricing_view_member: float = 0.08
    conversion_rate: float = 0.07         # P(upgrade_click | pricing view), control
    checkout_after_click: float = 0.45
    subscribe_base: float = 0.012         # P(self-serve subscribe per day), recently active owner
    change_per_day: float = 0.025
    cancel_per_day: float = 0.012
    reactivate_per_day: float = 0.04
    api_workspace_share: float = 0.05     # workspaces with an API integration
