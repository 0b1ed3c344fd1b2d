{%- set property_chars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_' -%}
{#-
    seeds/experiment_metrics.csv: every row names the metric and what is wrong.
    See docs/experiments.md for the rules.
-#}
with

metrics as (

    select * from {{ ref('experiment_metrics') }}

),

problems as (

    select
        metric_key,
        'metric_key must be 1-64 characters of [a-z0-9_]' as problem
    from metrics
    where not {{ is_config_key('metric_key') }}

    union all

    select
        metric_key,
        'event must be an event name, 1-64 characters of [a-z0-9_]' as problem
    from metrics
    where not {{ is_config_key('event') }}

    union all

    select
        metric_key,
        'a sum metric needs property (the numeric property to add up)' as problem
    from metrics
    where metric_type = 'sum' and property is null

    union all

    select
        metric_key,
        'property is only used by sum and ratio metrics; leave it empty for ' || metric_type as problem
    from metrics
    where metric_type not in ('sum', 'ratio') and property is not null

    union all

    select
        metrics.metric_key,
        'a ratio metric needs denominator_metric, a binary, count or sum metric of this seed' as problem
    from metrics
    left join metrics as denominators
        on metrics.denominator_metric = denominators.metric_key
    where
        metrics.metric_type = 'ratio'
        and (denominators.metric_key is null or denominators.metric_type = 'ratio')

    union all

    select
        metric_key,
        'denominator_metric is only used by ratio metrics; leave it empty for ' || metric_type as problem
    from metrics
    where metric_type != 'ratio' and denominator_metric is not null

    union all

    select
        metric_key,
        'property and filter_property must be 1-64 characters of [A-Za-z0-9_]' as problem
    from metrics
    where
        not {{ is_config_key("coalesce(property, 'x')", property_chars) }}
        or not {{ is_config_key("coalesce(filter_property, 'x')", property_chars) }}

    union all

    select
        metric_key,
        'filter_property and filter_value must be set together' as problem
    from metrics
    where (filter_property is null) != (filter_value is null)

    union all

    select
        metric_key,
        'window_start_hours must be >= 0 (the window starts at or after the first exposure)' as problem
    from metrics
    where window_start_hours < 0

    union all

    select
        metric_key,
        'window_end_hours must be greater than window_start_hours (or empty)' as problem
    from metrics
    where window_end_hours <= window_start_hours

    union all

    select
        metric_key,
        'non_inferiority_margin must be >= 0 (a relative lift, or empty)' as problem
    from metrics
    where non_inferiority_margin < 0

)

select * from problems
