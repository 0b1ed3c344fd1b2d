{#-
    The experiment read-out as of the end of every day: one row per experiment x assigned
    metric x configured variant x as_of_date, from the experiment's start_date to the last
    data day (max batch_date of fct_events; an ended experiment stops on the last day its
    read-out changes, at the latest then). The row of the last day is rpt_experiment_results'
    users, mean, lift and intervals (tests/test_experiment_stats.py checks it).

    As of day d (watermark d + 1 day 00:00 UTC) an analysed user of int_experiment_user_metrics
    counts once their value is known: a fixed-length window from the day it ends (window end
    <= watermark), an open window (until the experiment ends) from the exposure day, with the
    events up to the end of d; a ratio metric once both of its windows do. Exposures,
    stitching and multi-variant exclusion are as known now (a retrospective on today's data,
    not a replay of what was read on day d). Events or exposures after the last data day
    count on the last day, so that it equals the overall result.

    Scale: a user's value changes only on the days they have metric events, so per user
    there is one row on the day they start counting and one per later day with events of an
    open window (fixed windows: one row, their final value). The changes of y, y^2 (and of
    the denominator d, d^2 and y d of ratio metrics) on those days are summed per arm and day,
    and running sums over the days give n, sum(y), sum(y^2), ... as of every day: rows are
    users x active days, not users x days.

    The statistics are those of int_experiment_comparisons / rpt_experiment_results, with the
    same macros: mean and sample variance (n - 1; ratio metrics: ratio of the arm totals and
    ratio_metric_variance), rel_lift, the delta-method se (relative_lift_se), the fixed-horizon
    interval rel_lift -/+ z se and the sequential confidence sequence (macros/stats/sequential.sql).
-#}
{{ config(materialized='table') }}

{%- set confidence = var('experiment_confidence_level') | float -%}
{%- set far_future = "cast('9999-12-31' as " ~ dbt.type_timestamp() ~ ")" -%}
{%- set arm_keys = 'experiment_key, metric_key, variant' -%}
{%- set user_keys = 'experiment_key, metric_key, user_id' -%}

with

user_metrics as (

    select
        experiment_key,
        metric_key,
        user_id,
        variant,
        first_exposure_at,
        metric_value,
        denominator_value
    from {{ ref('int_experiment_user_metrics') }}

),

metric_events as (

    select
        metric_key,
        user_id,
        event_at,
        property_value
    from {{ ref('int_experiment_metric_events') }}

),

metrics as (

    select
        metric_key,
        metric_type,
        property,
        window_start_hours,
        window_end_hours,
        denominator_metric
    from {{ ref('experiment_metrics') }}

),

assignments as (

    select
        experiment_key,
        metric_key,
        role as metric_role
    from {{ ref('experiment_metric_assignments') }}

),

variants as (

    select
        experiment_key,
        variant,
        is_control
    from {{ ref('experiments') }}

),

settings as (

    select
        experiment_key,
        interval_method
    from {{ ref('experiment_settings') }}

),

experiment_dates as (

    select
        experiment_key,
        min(start_date) as start_date,
        max(end_date) as end_date,
        max(
            cast({{ dbt.dateadd('day', 1, 'end_date') }} as {{ dbt.type_timestamp() }})
        ) as experiment_end_at
    from {{ ref('experiments') }}
    group by experiment_key

),

data_end as (

    select cast(max(batch_date) as date) as last_data_date
    from {{ ref('fct_events') }}

),

user_windows as (

    -- the analysed users of the assigned metrics, with the windows of the value's parts
    select
        user_metrics.experiment_key,
        user_metrics.metric_key,
        user_metrics.user_id,
        user_metrics.variant,
        user_metrics.metric_value,
        user_metrics.denominator_value,
        metrics.metric_type,
        metrics.property,
        metrics.denominator_metric,
        denominators.metric_type as denominator_type,
        denominators.property as denominator_property,
        cast(user_metrics.first_exposure_at as date) as exposure_date,
        metrics.window_end_hours is null as is_open,
        denominators.window_end_hours is null as is_denominator_open,
        {{ dbt.dateadd('hour', 'metrics.window_start_hours', 'user_metrics.first_exposure_at') }} as window_start_at,
        case
            when metrics.window_end_hours is not null
                then {{ dbt.dateadd('hour', 'metrics.window_end_hours', 'user_metrics.first_exposure_at') }}
            else experiment_dates.experiment_end_at
        end as window_end_at,
        {{ dbt.dateadd('hour', 'denominators.window_start_hours', 'user_metrics.first_exposure_at') }}
            as denominator_window_start_at,
        case
            when denominators.window_end_hours is not null
                then {{ dbt.dateadd('hour', 'denominators.window_end_hours', 'user_metrics.first_exposure_at') }}
            else experiment_dates.experiment_end_at
        end as denominator_window_end_at
    from user_metrics
    inner join assignments
        on
            user_metrics.experiment_key = assignments.experiment_key
            and user_metrics.metric_key = assignments.metric_key
    inner join metrics
        on user_metrics.metric_key = metrics.metric_key
    inner join experiment_dates
        on user_metrics.experiment_key = experiment_dates.experiment_key
    left join metrics as denominators
        on
            metrics.metric_type = 'ratio'
            and metrics.denominator_metric = denominators.metric_key

),

ready_dates as (

    -- the day a part's value is known: an open window's on the exposure day, a fixed one's
    -- on the day it ends (the last day whose end, d + 1 00:00, is at or before the window end)
    select
        user_windows.*,
        case
            when is_open then exposure_date
            when cast(cast(window_end_at as date) as {{ dbt.type_timestamp() }}) = window_end_at
                then cast({{ dbt.dateadd('day', -1, 'cast(window_end_at as date)') }} as date)
            else cast(window_end_at as date)
        end as numerator_ready_date,
        case
            when metric_type != 'ratio' then null
            when is_denominator_open then exposure_date
            when cast(cast(denominator_window_end_at as date) as {{ dbt.type_timestamp() }}) = denominator_window_end_at
                then cast({{ dbt.dateadd('day', -1, 'cast(denominator_window_end_at as date)') }} as date)
            else cast(denominator_window_end_at as date)
        end as denominator_ready_date
    from user_windows

),

counted_from as (

    select
        ready_dates.*,
        least(
            greatest(numerator_ready_date, coalesce(denominator_ready_date, numerator_ready_date)),
            data_end.last_data_date
        ) as counted_date
    from ready_dates
    cross join data_end

),

changes as (

    -- the day a user starts counting, with the final values of the fixed windows ...
    select
        experiment_key,
        metric_key,
        user_id,
        variant,
        counted_date as change_date,
        case when is_open then 0.0 else metric_value end as fixed_value,
        case when metric_type = 'ratio' and not is_denominator_open then denominator_value else 0.0 end
            as fixed_denominator,
        0 as event_count,
        0.0 as property_sum,
        0 as denominator_event_count,
        0.0 as denominator_property_sum
    from counted_from

    union all

    -- ... the events of open windows on their day (not before the user counts) ...
    select
        counted_from.experiment_key,
        counted_from.metric_key,
        counted_from.user_id,
        counted_from.variant,
        least(
            greatest(cast(metric_events.event_at as date), counted_from.counted_date),
            data_end.last_data_date
        ) as change_date,
        0.0 as fixed_value,
        0.0 as fixed_denominator,
        1 as event_count,
        coalesce(metric_events.property_value, 0.0) as property_sum,
        0 as denominator_event_count,
        0.0 as denominator_property_sum
    from counted_from
    cross join data_end
    inner join metric_events
        on
            counted_from.user_id = metric_events.user_id
            and counted_from.metric_key = metric_events.metric_key
            and counted_from.window_start_at <= metric_events.event_at
            and coalesce(counted_from.window_end_at, {{ far_future }}) > metric_events.event_at
    where counted_from.is_open

    union all

    -- ... and those of the open denominator windows of ratio metrics
    select
        counted_from.experiment_key,
        counted_from.metric_key,
        counted_from.user_id,
        counted_from.variant,
        least(
            greatest(cast(metric_events.event_at as date), counted_from.counted_date),
            data_end.last_data_date
        ) as change_date,
        0.0 as fixed_value,
        0.0 as fixed_denominator,
        0 as event_count,
        0.0 as property_sum,
        1 as denominator_event_count,
        coalesce(metric_events.property_value, 0.0) as denominator_property_sum
    from counted_from
    cross join data_end
    inner join metric_events
        on
            counted_from.user_id = metric_events.user_id
            and counted_from.denominator_metric = metric_events.metric_key
            and counted_from.denominator_window_start_at <= metric_events.event_at
            and coalesce(counted_from.denominator_window_end_at, {{ far_future }}) > metric_events.event_at
    where counted_from.metric_type = 'ratio' and counted_from.is_denominator_open

),

user_days as (

    select
        experiment_key,
        metric_key,
        user_id,
        variant,
        change_date,
        sum(fixed_value) as fixed_value,
        sum(fixed_denominator) as fixed_denominator,
        sum(event_count) as event_count,
        sum(property_sum) as property_sum,
        sum(denominator_event_count) as denominator_event_count,
        sum(denominator_property_sum) as denominator_property_sum
    from changes
    group by experiment_key, metric_key, user_id, variant, change_date

),

running as (

    select
        {{ user_keys }},
        variant,
        change_date,
        {%- for column in ['fixed_value', 'fixed_denominator', 'event_count', 'property_sum',
                           'denominator_event_count', 'denominator_property_sum'] %}
        sum({{ column }}) over (
            partition by {{ user_keys }} order by change_date rows between unbounded preceding and current row
        ) as running_{{ column }},
        {%- endfor %}
        row_number() over (partition by {{ user_keys }} order by change_date) as change_rank
    from user_days

),

user_values as (

    -- the user's value (and denominator) as of the change day
    select
        running.experiment_key,
        running.metric_key,
        running.user_id,
        running.variant,
        running.change_date,
        running.change_rank,
        case
            when counted_from.is_open
                then running.running_fixed_value + {{ experiment_metric_value(
                    'counted_from.metric_type', 'counted_from.property',
                    'running.running_event_count', 'running.running_property_sum',
                ) }}
            else running.running_fixed_value
        end as metric_value,
        case
            when counted_from.metric_type != 'ratio' then null
            when counted_from.is_denominator_open
                then running.running_fixed_denominator + {{ experiment_metric_value(
                    'counted_from.denominator_type', 'counted_from.denominator_property',
                    'running.running_denominator_event_count',
                    'running.running_denominator_property_sum',
                ) }}
            else running.running_fixed_denominator
        end as denominator_value
    from running
    inner join counted_from
        on
            running.experiment_key = counted_from.experiment_key
            and running.metric_key = counted_from.metric_key
            and running.user_id = counted_from.user_id

),

previous_values as (

    select
        user_values.*,
        lag(metric_value) over (partition by {{ user_keys }} order by change_date) as previous_value,
        lag(denominator_value) over (partition by {{ user_keys }} order by change_date) as previous_denominator
    from user_values

),

arm_changes as (

    -- per arm and day, the change of n, sum(y), sum(y^2), sum(d), sum(d^2), sum(y d)
    select
        experiment_key,
        metric_key,
        variant,
        change_date,
        sum(case when change_rank = 1 then 1 else 0 end) as user_change,
        sum(metric_value - coalesce(previous_value, 0.0)) as sum_y_change,
        sum(metric_value * metric_value - coalesce(previous_value * previous_value, 0.0)) as sum_yy_change,
        sum(denominator_value - coalesce(previous_denominator, 0.0)) as sum_d_change,
        sum(
            denominator_value * denominator_value - coalesce(previous_denominator * previous_denominator, 0.0)
        ) as sum_dd_change,
        sum(metric_value * denominator_value - coalesce(previous_value * previous_denominator, 0.0))
            as sum_yd_change
    from previous_values
    group by experiment_key, metric_key, variant, change_date

),

last_changes as (

    select
        experiment_key,
        max(change_date) as last_change_date
    from arm_changes
    group by experiment_key

),

experiment_bounds as (

    -- the last day: the last data day, or for an ended experiment its last change after the end
    select
        experiment_dates.experiment_key,
        experiment_dates.start_date,
        case
            when experiment_dates.end_date is null or experiment_dates.end_date >= data_end.last_data_date
                then data_end.last_data_date
            when last_changes.last_change_date > data_end.last_data_date then data_end.last_data_date
            when last_changes.last_change_date > experiment_dates.end_date then last_changes.last_change_date
            else experiment_dates.end_date
        end as last_date
    from experiment_dates
    cross join data_end
    left join last_changes
        on experiment_dates.experiment_key = last_changes.experiment_key

),

bounds as (

    select
        min(start_date) as first_date,
        max(last_date) as last_date
    from experiment_bounds

),

spine as (

    {{ day_spine('bounds', 'bounds.first_date', 'bounds.last_date') }}

),

arm_days as (

    -- every configured variant of every assigned metric on every day of its experiment
    select
        assignments.experiment_key,
        assignments.metric_key,
        assignments.metric_role,
        variants.variant,
        variants.is_control,
        spine.spine_date as as_of_date,
        coalesce(arm_changes.user_change, 0) as user_change,
        coalesce(arm_changes.sum_y_change, 0.0) as sum_y_change,
        coalesce(arm_changes.sum_yy_change, 0.0) as sum_yy_change,
        coalesce(arm_changes.sum_d_change, 0.0) as sum_d_change,
        coalesce(arm_changes.sum_dd_change, 0.0) as sum_dd_change,
        coalesce(arm_changes.sum_yd_change, 0.0) as sum_yd_change
    from assignments
    inner join variants
        on assignments.experiment_key = variants.experiment_key
    inner join experiment_bounds
        on assignments.experiment_key = experiment_bounds.experiment_key
    inner join spine
        on
            experiment_bounds.start_date <= spine.spine_date
            and experiment_bounds.last_date >= spine.spine_date
    left join arm_changes
        on
            assignments.experiment_key = arm_changes.experiment_key
            and assignments.metric_key = arm_changes.metric_key
            and variants.variant = arm_changes.variant
            and spine.spine_date = arm_changes.change_date

),

arm_sums as (

    select
        arm_days.experiment_key,
        arm_days.metric_key,
        arm_days.metric_role,
        arm_days.variant,
        arm_days.is_control,
        arm_days.as_of_date,
        {%- for column, alias in [('user_change', 'users'), ('sum_y_change', 'sum_y'),
                                  ('sum_yy_change', 'sum_yy'), ('sum_d_change', 'sum_d'),
                                  ('sum_dd_change', 'sum_dd'), ('sum_yd_change', 'sum_yd')] %}
        sum(arm_days.{{ column }}) over (
            partition by arm_days.experiment_key, arm_days.metric_key, arm_days.variant
            order by arm_days.as_of_date rows between unbounded preceding and current row
        ) as {{ alias }},
        {%- endfor %}
        metrics.metric_type = 'ratio' as is_ratio
    from arm_days
    inner join metrics
        on arm_days.metric_key = metrics.metric_key

),

arm_moments as (

    -- means and sample variances (n - 1) from the running sums; a variance rounding below 0 is 0
    select
        arm_sums.*,
        sum_y / nullif(users, 0) as numerator_mean,
        sum_d / nullif(users, 0) as denominator_mean,
        greatest((sum_yy - sum_y * sum_y / nullif(users, 0)) / nullif(users - 1, 0), 0.0) as numerator_variance,
        greatest((sum_dd - sum_d * sum_d / nullif(users, 0)) / nullif(users - 1, 0), 0.0) as denominator_variance,
        (sum_yd - sum_y * sum_d / nullif(users, 0)) / nullif(users - 1, 0) as covariance
    from arm_sums

),

arms as (

    select
        experiment_key,
        metric_key,
        metric_role,
        variant,
        is_control,
        as_of_date,
        users,  -- noqa: RF04
        cast(case
            when is_ratio then numerator_mean / nullif(denominator_mean, 0)
            else numerator_mean
        end as double precision) as metric_mean,
        cast(case
            when is_ratio
                then {{ ratio_metric_variance(
                    'numerator_mean', 'numerator_variance', 'denominator_mean',
                    'denominator_variance', 'covariance',
                ) }}
            else numerator_variance
        end as double precision) as metric_variance
    from arm_moments

),

compared as (

    select
        arms.*,
        control.users as control_users,
        control.metric_mean as control_mean,
        arms.metric_variance / nullif(arms.users, 0) as var_mean_t,
        control.metric_variance / nullif(control.users, 0) as var_mean_c
    from arms
    left join arms as control
        on
            arms.experiment_key = control.experiment_key
            and arms.metric_key = control.metric_key
            and arms.as_of_date = control.as_of_date
            and control.is_control
            and not arms.is_control

),

lifts as (

    select
        compared.*,
        metric_mean / nullif(control_mean, 0) - 1.0 as rel_lift,
        {{ relative_lift_se('metric_mean', 'var_mean_t', 'control_mean', 'var_mean_c') }} as rel_lift_se,
        {{ sequential_n_rho2('users + control_users') }} as n_rho2,
        {{ normal_inv(1.0 - (1.0 - confidence) / 2.0) }} as z_critical
    from compared

),

half_widths as (

    select
        lifts.*,
        z_critical * rel_lift_se as fixed_half_width,
        {{ sequential_half_width('rel_lift_se', 'n_rho2') }} as sequential_half_width
    from lifts

),

final as (

    select
        half_widths.experiment_key,
        half_widths.metric_key,
        half_widths.variant,
        half_widths.as_of_date,
        half_widths.metric_role,
        half_widths.is_control,
        coalesce(settings.interval_method, 'fixed_horizon') as interval_method,
        cast(half_widths.users as {{ dbt.type_bigint() }}) as users,  -- noqa: RF04
        half_widths.metric_mean,
        half_widths.metric_variance,
        half_widths.rel_lift,
        half_widths.rel_lift - half_widths.fixed_half_width as rel_lift_ci_low,
        half_widths.rel_lift + half_widths.fixed_half_width as rel_lift_ci_high,
        half_widths.rel_lift - half_widths.sequential_half_width as sequential_ci_low,
        half_widths.rel_lift + half_widths.sequential_half_width as sequential_ci_high
    from half_widths
    left join settings
        on half_widths.experiment_key = settings.experiment_key

)

select * from final
