{#-
    Critical business values per UTC day that must never be zero: signups, DAU, MRR and
    the exposures of every running experiment. One row per metric and day from the first
    event date to the latest published batch date. is_required says whether a zero is a
    failure that day (MRR only once revenue has existed; an experiment only while it runs,
    i.e. it had exposures in the previous experiment_running_days days). Checked by the
    critical_value_nonzero tests (tag pulse_monitor) and `pulse monitor`.
-#}
{%- set running_days = var('experiment_running_days') | int -%}
{%- set subscription_events = "'" ~ var('contract_subscription_events') | join("', '") ~ "'" -%}

with

events as (

    select
        event_id,
        event_name,
        event_at,
        event_date,
        batch_date,
        workspace_id,
        properties
    from {{ ref('fct_events') }}

),

active_users as (

    select
        activity_date,
        dau
    from {{ ref('rpt_active_users_daily') }}

),

bounds as (

    select
        min(event_date) as first_date,
        max(batch_date) as last_date
    from events

),

spine as (

    {{ day_spine('bounds', 'bounds.first_date', 'bounds.last_date') }}

),

signups as (

    select
        event_date,
        count(*) as signup_count
    from events
    where event_name = 'signup'
    group by event_date

),

subscription_events as (

    select
        workspace_id,
        event_date,
        coalesce({{ json_number('properties', 'mrr_cents') }}, 0) as mrr_cents_after,
        lag(coalesce({{ json_number('properties', 'mrr_cents') }}, 0)) over (
            partition by workspace_id order by event_at, event_id
        ) as mrr_cents_before
    from events
    where
        event_name in ({{ subscription_events }})
        and workspace_id is not null

),

mrr_changes as (

    select
        event_date,
        sum(mrr_cents_after - coalesce(mrr_cents_before, 0)) as mrr_cents_change
    from subscription_events
    group by event_date

),

mrr_daily as (

    select
        spine.spine_date as metric_date,
        sum(coalesce(mrr_changes.mrr_cents_change, 0)) over (
            order by spine.spine_date rows between unbounded preceding and current row
        ) as mrr_cents
    from spine
    left join mrr_changes
        on spine.spine_date = mrr_changes.event_date

),

exposures as (

    select
        {{ json_text('properties', 'experiment') }} as experiment,
        event_date,
        count(*) as exposure_count
    from events
    where event_name = 'experiment_exposure'
    group by {{ json_text('properties', 'experiment') }}, event_date

),

experiments as (

    select distinct experiment
    from exposures
    where experiment is not null

),

exposures_daily as (

    select
        experiments.experiment,
        spine.spine_date as metric_date,
        coalesce(exposures.exposure_count, 0) as exposure_count,
        coalesce(
            sum(coalesce(exposures.exposure_count, 0)) over (
                partition by experiments.experiment
                order by spine.spine_date
                rows between {{ running_days }} preceding and 1 preceding
            ),
            0
        ) > 0 as is_running
    from experiments
    cross join spine
    left join exposures
        on
            experiments.experiment = exposures.experiment
            and spine.spine_date = exposures.event_date

),

metrics as (

    select
        spine.spine_date as metric_date,
        'signups' as metric_name,
        cast(coalesce(signups.signup_count, 0) as double precision) as metric_value,
        true as is_required
    from spine
    left join signups
        on spine.spine_date = signups.event_date

    union all

    select
        spine.spine_date as metric_date,
        'dau' as metric_name,
        cast(coalesce(active_users.dau, 0) as double precision) as metric_value,
        true as is_required
    from spine
    left join active_users
        on spine.spine_date = active_users.activity_date

    union all

    select
        metric_date,
        'mrr_cents' as metric_name,
        cast(mrr_cents as double precision) as metric_value,
        max(mrr_cents) over (order by metric_date rows between unbounded preceding and 1 preceding) > 0
            as is_required
    from mrr_daily

    union all

    select
        metric_date,
        {{ dbt.concat(["'experiment_exposures.'", 'experiment']) }} as metric_name,
        cast(exposure_count as double precision) as metric_value,
        is_running as is_required
    from exposures_daily

),

final as (

    select
        metric_date,
        metric_name,
        metric_value,
        coalesce(is_required, false) as is_required
    from metrics

)

select * from final
