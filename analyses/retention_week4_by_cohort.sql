-- Week-4 retention per weekly cohort (complete weeks of whole cohorts only), the headline growth metric.
select
    cohort_week,
    cohort_size,
    active_users as week_4_active_users,
    retention_rate as week_4_retention
from {{ ref('rpt_retention_weekly') }}
where
    weeks_since_cohort = 4
    and is_period_complete
    and is_cohort_complete
order by cohort_week
