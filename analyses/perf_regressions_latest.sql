-- Current performance regressions: versions whose p90 grew by the configured ratio over the
-- previous version, with the action's total waiting time from the slowest-actions ranking.
select
    regression.action_name,
    regression.platform,
    regression.previous_app_version,
    regression.app_version,
    regression.previous_p90_duration_ms,
    regression.p90_duration_ms,
    regression.p90_change_ratio,
    regression.calls,
    slowest.total_wait_seconds,
    slowest.slowness_rank
from {{ ref('rpt_perf_version_regression') }} as regression
left join {{ ref('rpt_slowest_actions') }} as slowest
    on
        regression.action_name = slowest.action_name
        and regression.platform = slowest.platform
where regression.is_regression
order by regression.p90_change_ratio desc
