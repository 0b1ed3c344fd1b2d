{#-
    Cohort retention by calendar period (UTC): the body of rpt_retention_weekly ('week') and
    rpt_retention_monthly ('month').

    cohort = the period of the user's first activity day (weeks start on Monday); active in a
    period = at least one activity day in it (int_user_activity_daily, so the activity events
    are var activity_event_names). One row per cohort and period from the cohort's period to
    the last period with data, zeros included.

    Completeness is judged against the data's real coverage (int_data_coverage, first and
    last event date loaded): a period is complete when it lies wholly within the coverage
    (so the first cohort's own period, when the data starts mid-period, is not); a cohort is
    complete when its period starts on or after the first event date (a cohort cut by the
    start of the data is undercounted and holds users active before it).
-#}
{% macro retention_by_period(period) -%}
    {%- if period not in ['week', 'month'] -%}
        {{ exceptions.raise_compiler_error("retention_by_period: period must be week or month") }}
    {%- endif -%}

with

activity as (

    select
        user_id,
        activity_date
    from {{ ref('int_user_activity_daily') }}

),

user_periods as (

    select distinct
        user_id,
        cast({{ dbt.date_trunc(period, 'activity_date') }} as date) as period_start
    from activity

),

cohorts as (

    select
        user_id,
        min(period_start) as cohort_start
    from user_periods
    group by user_id

),

bounds as (

    select
        max(activity_date) as last_date,
        cast({{ dbt.date_trunc(period, 'max(activity_date)') }} as date) as last_period_start
    from activity

),

coverage as (

    select
        first_event_date,
        last_event_date
    from {{ ref('int_data_coverage') }}

),

cohort_sizes as (

    select
        cohort_start,
        count(*) as cohort_size
    from cohorts
    group by cohort_start

),

grid as (

    select
        cohort_sizes.cohort_start,
        cohort_sizes.cohort_size,
        period_offsets.generated_number as periods_since_cohort
    from cohort_sizes
    cross join bounds
    inner join ({{ numbers(1000) }}) as period_offsets
        on period_offsets.generated_number <= {{ periods_between(period, 'cohort_sizes.cohort_start', 'bounds.last_period_start') }}

),

active as (

    select
        cohorts.cohort_start,
        {{ periods_between(period, 'cohorts.cohort_start', 'user_periods.period_start') }} as periods_since_cohort,
        count(*) as active_users
    from user_periods
    inner join cohorts
        on user_periods.user_id = cohorts.user_id
    group by 1, 2

),

final as (

    select
        grid.cohort_start as cohort_{{ period }},
        grid.periods_since_cohort as {{ period }}s_since_cohort,
        cast({{ dbt.dateadd(period, 'grid.periods_since_cohort', 'grid.cohort_start') }} as date) as {{ period }}_start,
        grid.cohort_size,
        coalesce(active.active_users, 0) as active_users,
        cast(coalesce(active.active_users, 0) as double precision) / grid.cohort_size as retention_rate,
        coalesce(
            cast({{ dbt.dateadd(period, 'grid.periods_since_cohort', 'grid.cohort_start') }} as date)
            >= coverage.first_event_date
            and cast({{ dbt.dateadd(period, 'grid.periods_since_cohort + 1', 'grid.cohort_start') }} as date)
            <= cast({{ dbt.dateadd('day', 1, 'coverage.last_event_date') }} as date),
            false
        ) as is_period_complete,
        coalesce(grid.cohort_start >= coverage.first_event_date, false) as is_cohort_complete
    from grid
    cross join coverage
    left join active
        on
            grid.cohort_start = active.cohort_start
            and grid.periods_since_cohort = active.periods_since_cohort

)

select * from final
{%- endmacro %}



{#- Whole periods (week or month) from one period start to another. -#}
{% macro periods_between(period, from_date, to_date) -%}
    {%- if period == 'week' -%}
        cast({{ dbt.datediff(from_date, to_date, 'day') }} / 7 as integer)
    {%- else -%}
        cast({{ dbt.datediff(from_date, to_date, 'month') }} as integer)
    {%- endif -%}
{%- endmacro %}
