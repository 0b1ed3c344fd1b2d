{#-
    Volume anomaly scoring, shared by rpt_event_volume_anomalies and the volume_anomaly test.

    Input: `input`, a relation or a CTE of the caller, with columns series_name (text),
    metric_date (date) and observed (a count), at most one row per series and date. Returns a
    complete select (its CTEs are its own) with the columns series_name, metric_date, observed, expected, lower_bound, upper_bound, score,
    is_anomaly, direction, history_weeks, with one row per series and day from the series'
    first date to the last date of the input (missing days count as 0, so a drop to zero is
    scored like any other day).

    Model, per series and day D (d = days since the series started, gap-free):
      level     = m1 + 4 * (m1 - m2) / 7, where m1 / m2 are the means of the 7 days before D
                  and of the 7 days before those: whole weeks, so weekday effects cancel, and
                  the local trend (growth) is extrapolated to D.
      weekday   = median over the same weekday in the previous `history_weeks` weeks of
                  value / centred 7-day mean (day-of-week seasonality, robust to outliers).
      expected  = level * weekday.
      sigma     = overdispersion * sqrt(expected), overdispersion = max(1, 1.4826 * median
                  |observed - expected| / sqrt(expected)) over the previous `residual_days`
                  days: Poisson noise at least, more when the series is noisier (robust MAD).
      bounds    = expected -/+ max(sensitivity * sigma, min_relative_change * expected).
      anomaly   = outside the bounds (in `direction`), with expected >= min_expected
                  (sparser series are Poisson noise, not monitorable) and enough history (>= min_history_weeks seasonal points,
                  15 days for the trend, 7 residual days); otherwise expected is null.
    Three passes: pass 1 flags days outside the bounds; passes 2 and 3 score again with the
    previous pass's flagged days excluded from the training data: replaced by the median of the same weekday in the
    three weeks before (so the weekly means keep their weekday mix) and left out of the
    residual scale. An earlier anomaly thus never widens or shifts the expectation of later
    days. Pass 1 can flag normal days after a spike (the spike inflated their expectation);
    pass 2 no longer does, and pass 3 trains on pass 2's cleaner flags.
    Plain window functions, joins on integer day numbers and median(): DuckDB, PostgreSQL
    and Redshift.
-#}
{% macro volume_anomaly_scored(
    input,
    sensitivity=3.0,
    min_history_weeks=3,
    history_weeks=8,
    direction='both',
    min_expected=10,
    min_relative_change=0.3,
    residual_days=28
) -%}
    {%- if direction not in ('both', 'spike', 'drop') -%}
        {{ exceptions.raise_compiler_error("volume anomaly direction must be both, spike or drop, got " ~ direction) }}
    {%- endif -%}
    {%- set sensitivity = sensitivity | float -%}
    {%- set min_relative_change = min_relative_change | float -%}
    {%- set min_expected = min_expected | float -%}
    {%- set history_weeks = history_weeks | int -%}
    {%- set min_history_weeks = min_history_weeks | int -%}
    {%- set residual_days = residual_days | int -%}
    {%- if sensitivity <= 0 or history_weeks < 1 or min_history_weeks < 1 or min_history_weeks > history_weeks
        or residual_days < 7 or min_relative_change < 0 -%}
        {{ exceptions.raise_compiler_error("volume anomaly: invalid parameters (sensitivity > 0, "
            ~ "1 <= min_history_weeks <= history_weeks, residual_days >= 7, min_relative_change >= 0)") }}
    {%- endif -%}

with

va_observed as (

    select
        series_name,
        metric_date,
        observed
    from {{ input }}

),

va_series as (

    select
        series_name,
        min(metric_date) as first_date
    from va_observed
    group by series_name

),

va_bounds as (

    select
        min(metric_date) as first_date,
        max(metric_date) as last_date
    from va_observed

),

va_spine as (

    {{ day_spine('va_bounds', 'va_bounds.first_date', 'va_bounds.last_date') }}

),

va_filled as (

    select
        va_series.series_name,
        va_spine.spine_date as metric_date,
        cast(coalesce(va_input.observed, 0) as double precision) as observed,
        row_number() over (partition by va_series.series_name order by va_spine.spine_date) as day_number
    from va_series
    inner join va_spine
        on va_series.first_date <= va_spine.spine_date
    left join va_observed as va_input
        on
            va_series.series_name = va_input.series_name
            and va_spine.spine_date = va_input.metric_date

),

va_pass1_input as (

    select
        series_name,
        metric_date,
        day_number,
        observed,
        observed as train_value,
        false as is_excluded
    from va_filled

),

{{ _volume_anomaly_pass('va_pass1', 'va_pass1_input', sensitivity, min_history_weeks, history_weeks,
                        min_expected, min_relative_change, residual_days) }},

{{ _volume_anomaly_retrain('va_pass1', 'va_pass2_input') }},

{{ _volume_anomaly_pass('va_pass2', 'va_pass2_input', sensitivity, min_history_weeks, history_weeks,
                        min_expected, min_relative_change, residual_days) }},

{{ _volume_anomaly_retrain('va_pass2', 'va_pass3_input') }},

{{ _volume_anomaly_pass('va_pass3', 'va_pass3_input', sensitivity, min_history_weeks, history_weeks,
                        min_expected, min_relative_change, residual_days) }},

va_scored as (

    select
        series_name,
        metric_date,
        observed,
        expected,
        lower_bound,
        upper_bound,
        score,
        coalesce(
            is_outside and (
                {% if direction == 'spike' %}observed > upper_bound
                {% elif direction == 'drop' %}observed < lower_bound
                {% else %}true{% endif %}
            ),
            false
        ) as is_anomaly,
        case
            when is_outside and observed > upper_bound then 'spike'
            when is_outside and observed < lower_bound then 'drop'
        end as direction,
        history_weeks
    from va_pass3

)

select * from va_scored
{%- endmacro %}


{% macro _volume_anomaly_retrain(previous, name) -%}
{{ name }}_naive as (

    -- what a flagged day is replaced by in training: the median of the same weekday in the
    -- three previous weeks (robust to one more anomaly among them, and independent of the
    -- level estimate that an earlier spike may have inflated)
    select
        flagged.series_name,
        flagged.day_number,
        {{ median('history.observed') }} as naive_value
    from {{ previous }} as flagged
    cross join ({{ numbers(3) }}) as week_offsets
    inner join {{ previous }} as history
        on
            flagged.series_name = history.series_name
            and history.day_number = flagged.day_number - 7 * (week_offsets.generated_number + 1)
    where flagged.is_outside
    group by flagged.series_name, flagged.day_number

),

{{ name }} as (

    select
        prev.series_name,
        prev.metric_date,
        prev.day_number,
        prev.observed,
        case
            when prev.is_outside then coalesce(naive.naive_value, prev.expected)
            else prev.observed
        end as train_value,
        prev.is_outside as is_excluded
    from {{ previous }} as prev
    left join {{ name }}_naive as naive
        on
            prev.series_name = naive.series_name
            and prev.day_number = naive.day_number

)
{%- endmacro %}


{% macro _volume_anomaly_pass(name, source_cte, sensitivity, min_history_weeks, history_weeks,
                              min_expected, min_relative_change, residual_days) -%}
{{ name }}_windows as (

    select
        series_name,
        metric_date,
        day_number,
        observed,
        train_value,
        is_excluded,
        avg(train_value) over (
            partition by series_name order by day_number rows between 7 preceding and 1 preceding
        ) as mean_prev_week,
        avg(train_value) over (
            partition by series_name order by day_number rows between 14 preceding and 8 preceding
        ) as mean_week_before,
        avg(train_value) over (
            partition by series_name order by day_number rows between 3 preceding and 3 following
        ) as centred_mean,
        count(train_value) over (
            partition by series_name order by day_number rows between 3 preceding and 3 following
        ) as centred_days
    from {{ source_cte }}

),

{{ name }}_seasonal as (

    select
        target.series_name,
        target.day_number,
        {{ median('history.train_value / history.centred_mean') }} as weekday_factor,
        count(*) as history_weeks
    from {{ name }}_windows as target
    cross join ({{ numbers(history_weeks) }}) as week_offsets
    inner join {{ name }}_windows as history
        on
            target.series_name = history.series_name
            and history.day_number = target.day_number - 7 * (week_offsets.generated_number + 1)
    where history.centred_days = 7 and history.centred_mean > 0
    group by target.series_name, target.day_number

),

{{ name }}_expected as (

    select
        windows.series_name,
        windows.metric_date,
        windows.day_number,
        windows.observed,
        windows.is_excluded,
        seasonal.history_weeks,
        case
            when windows.day_number > 14 and seasonal.history_weeks >= {{ min_history_weeks }}
                then greatest(
                    0.0,
                    windows.mean_prev_week + 4.0 * (windows.mean_prev_week - windows.mean_week_before) / 7.0
                ) * seasonal.weekday_factor
        end as expected
    from {{ name }}_windows as windows
    left join {{ name }}_seasonal as seasonal
        on
            windows.series_name = seasonal.series_name
            and windows.day_number = seasonal.day_number

),

{{ name }}_residuals as (

    select
        target.series_name,
        target.day_number,
        {{ median('abs(history.observed - history.expected) / sqrt(greatest(history.expected, 1.0))') }}
            as median_abs_residual,
        count(*) as residual_days
    from {{ name }}_expected as target
    cross join ({{ numbers(residual_days) }}) as day_offsets
    inner join {{ name }}_expected as history
        on
            target.series_name = history.series_name
            and history.day_number = target.day_number - 1 - day_offsets.generated_number
    where history.expected is not null and not history.is_excluded
    group by target.series_name, target.day_number

),

{{ name }}_sigma as (

    select
        expected.series_name,
        expected.metric_date,
        expected.day_number,
        expected.observed,
        expected.history_weeks,
        case when residuals.residual_days >= 7 then expected.expected end as expected,
        greatest(1.0, coalesce(1.4826 * residuals.median_abs_residual, 1.0)) * sqrt(greatest(expected.expected, 1.0)) as sigma
    from {{ name }}_expected as expected
    left join {{ name }}_residuals as residuals
        on
            expected.series_name = residuals.series_name
            and expected.day_number = residuals.day_number

),

{{ name }} as (

    select
        series_name,
        metric_date,
        day_number,
        observed,
        history_weeks,
        expected,
        greatest(0.0, least(expected - {{ sensitivity }} * sigma, expected * (1.0 - {{ min_relative_change }})))
            as lower_bound,
        greatest(expected + {{ sensitivity }} * sigma, expected * (1.0 + {{ min_relative_change }})) as upper_bound,
        (observed - expected) / sigma as score,
        coalesce(
            expected >= {{ min_expected }}
            and (
                observed > greatest(expected + {{ sensitivity }} * sigma, expected * (1.0 + {{ min_relative_change }}))
                or observed < least(expected - {{ sensitivity }} * sigma, expected * (1.0 - {{ min_relative_change }}))
            ),
            false
        ) as is_outside
    from {{ name }}_sigma

)
{%- endmacro %}
