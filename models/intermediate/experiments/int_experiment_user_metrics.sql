{#-
    One row per experiment, metric and analysed user: the metric's value in the user's window
    after first exposure, and the same metric in the pre-exposure window (the CUPED covariate).

    Analysed users are the single-variant users of int_experiment_exposures. Metric windows
    (seeds/experiment_metrics.csv) are [first exposure + window_start_hours, first exposure +
    window_end_hours). An empty window_end_hours runs until the experiment ends (end_date + 1
    day), or without end while it runs. A user is included in a fixed-length metric only once
    the window is over: window end <= the data watermark (the day after the last arrival batch
    in fct_events), so late-exposed users never enter with a truncated window.

    The covariate window is [first exposure - var('experiment_cuped_pre_days') days,
    first exposure).

    Values: the macro experiment_metric_value (binary, count, sum, ratio numerator) over the
    matching events from int_experiment_metric_events.

    Ratio metrics: metric_value is the numerator (the property summed, or the events counted
    without a property) and denominator_value the user's value of denominator_metric (in that
    metric's own window); the user is included once both windows are complete. Denominator
    metrics get rows for the experiment even when it is not assigned them.

    Incremental (delete+insert on user_id): a run recomputes, from all their metric events,
    the users whose exposures or identification it changed (experiment_users_this_run), the
    users with metric events in this run's loads (new or late, in any window, pre-exposure
    included), and the users with a complete window that has no row yet (the watermark moved
    past its end); nobody else's events are read. The rows of pairs that became multi-variant
    are deleted by a post-hook (delete_multi_variant_rows). A change to the experiment seeds
    or to var('experiment_cuped_pre_days') needs a full refresh.
-#}
{{
    config(
        materialized='incremental',
        unique_key='user_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        post_hook="{{ delete_multi_variant_rows() }}",
    )
}}
-- depends_on: {{ ref('int_anonymous_ids') }}
-- depends_on: {{ ref('int_identity_map') }}
-- depends_on: {{ ref('int_experiment_exposure_events') }}
{%- set pre_days = var('experiment_cuped_pre_days') | int -%}
{%- set far_future = "cast('9999-12-31' as " ~ dbt.type_timestamp() ~ ")" -%}
{%- set this_run = events_this_run() %}

with

exposures as (

    select
        experiment_key,
        user_id,
        variant,
        first_exposure_at
    from {{ ref('int_experiment_exposures') }}
    where not is_multi_variant

),

experiment_ends as (

    select
        experiment_key,
        max(
            cast({{ dbt.dateadd('day', 1, 'end_date') }} as {{ dbt.type_timestamp() }})
        ) as experiment_end_at
    from {{ ref('experiments') }}
    group by experiment_key

),

metrics as (

    select * from {{ ref('experiment_metrics') }}

),

assigned as (

    select
        experiment_key,
        metric_key
    from {{ ref('experiment_metric_assignments') }}

),

assignments as (

    -- the assigned metrics, and the denominators of the assigned ratio metrics
    select
        experiment_key,
        metric_key
    from assigned

    union

    select
        assigned.experiment_key,
        metrics.denominator_metric as metric_key
    from assigned
    inner join metrics
        on assigned.metric_key = metrics.metric_key
    where metrics.metric_type = 'ratio'

),

watermark as (

    select
        cast({{ dbt.dateadd('day', 1, 'max(batch_date)') }} as {{ dbt.type_timestamp() }}) as data_end_at
    from {{ ref('fct_events') }}

),

user_windows as (

    select
        exposures.experiment_key,
        assignments.metric_key,
        exposures.user_id,
        exposures.variant,
        exposures.first_exposure_at,
        {{ dbt.dateadd('hour', 'metrics.window_start_hours', 'exposures.first_exposure_at') }} as window_start_at,
        case
            when metrics.window_end_hours is not null
                then {{ dbt.dateadd('hour', 'metrics.window_end_hours', 'exposures.first_exposure_at') }}
            else experiment_ends.experiment_end_at
        end as window_end_at,
        {{ dbt.dateadd('day', -1 * pre_days, 'exposures.first_exposure_at') }} as pre_window_start_at,
        metrics.window_end_hours is null as is_open_window
    from exposures
    inner join assignments
        on exposures.experiment_key = assignments.experiment_key
    inner join metrics
        on assignments.metric_key = metrics.metric_key
    inner join experiment_ends
        on exposures.experiment_key = experiment_ends.experiment_key

),

complete_windows as (

    select user_windows.*
    from user_windows
    cross join watermark
    where user_windows.is_open_window or user_windows.window_end_at <= watermark.data_end_at

),

{% if is_incremental() %}

recomputed_users as (

    {{ experiment_users_this_run() }}

    union

    select stitched.user_id
    from ({{ stitched_events(this_run) }}) as stitched
    where
        stitched.user_id is not null
        and stitched.event_name in (select metrics.event from metrics)

    union

    -- complete windows without a row: the watermark passed their end in this run
    select complete_windows.user_id
    from complete_windows
    left join {{ this }} as stored
        on
            complete_windows.experiment_key = stored.experiment_key
            and complete_windows.metric_key = stored.metric_key
            and complete_windows.user_id = stored.user_id
    where stored.user_id is null

),

{% endif %}

recomputed_windows as (

    select complete_windows.*
    from complete_windows
    {% if is_incremental() %}
        where complete_windows.user_id in (select recomputed_users.user_id from recomputed_users)
    {% endif %}

),

metric_events as (

    select metric_events.*
    from {{ ref('int_experiment_metric_events') }} as metric_events
    {% if is_incremental() %}
        where metric_events.user_id in (select recomputed_users.user_id from recomputed_users)
    {% endif %}

),

windowed as (

    select
        recomputed_windows.experiment_key,
        recomputed_windows.metric_key,
        recomputed_windows.user_id,
        recomputed_windows.variant,
        recomputed_windows.first_exposure_at,
        count(
            case when metric_events.event_at >= recomputed_windows.window_start_at then 1 end
        ) as event_count,
        coalesce(sum(
            case
                when metric_events.event_at >= recomputed_windows.window_start_at
                    then metric_events.property_value
            end
        ), 0) as property_sum,
        count(
            case when metric_events.event_at < recomputed_windows.first_exposure_at then 1 end
        ) as pre_event_count,
        coalesce(sum(
            case
                when metric_events.event_at < recomputed_windows.first_exposure_at
                    then metric_events.property_value
            end
        ), 0) as pre_property_sum
    from recomputed_windows
    left join metric_events
        on
            recomputed_windows.user_id = metric_events.user_id
            and recomputed_windows.metric_key = metric_events.metric_key
            and recomputed_windows.pre_window_start_at <= metric_events.event_at
            and coalesce(recomputed_windows.window_end_at, {{ far_future }}) > metric_events.event_at
    group by
        recomputed_windows.experiment_key,
        recomputed_windows.metric_key,
        recomputed_windows.user_id,
        recomputed_windows.variant,
        recomputed_windows.first_exposure_at

),

metric_values as (

    select
        windowed.experiment_key,
        windowed.metric_key,
        windowed.user_id,
        windowed.variant,
        windowed.first_exposure_at,
        metrics.metric_type,
        metrics.denominator_metric,
        {{ experiment_metric_value(
            'metrics.metric_type', 'metrics.property',
            'windowed.event_count', 'windowed.property_sum',
        ) }} as metric_value,
        {{ experiment_metric_value(
            'metrics.metric_type', 'metrics.property',
            'windowed.pre_event_count', 'windowed.pre_property_sum',
        ) }} as pre_exposure_value
    from windowed
    inner join metrics
        on windowed.metric_key = metrics.metric_key

),

final as (

    -- a ratio metric's user counts once the denominator's window is complete too
    select
        metric_values.experiment_key,
        metric_values.metric_key,
        metric_values.user_id,
        metric_values.variant,
        metric_values.first_exposure_at,
        metric_values.metric_value,
        metric_values.pre_exposure_value,
        denominators.metric_value as denominator_value
    from metric_values
    left join metric_values as denominators
        on
            metric_values.experiment_key = denominators.experiment_key
            and metric_values.denominator_metric = denominators.metric_key
            and metric_values.user_id = denominators.user_id
    where metric_values.metric_type != 'ratio' or denominators.user_id is not null

)

select * from final
