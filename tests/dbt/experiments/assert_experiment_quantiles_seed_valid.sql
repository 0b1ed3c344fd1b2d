{#-
    seeds/experiment_quantiles.csv: every row names the experiment, the metric and what is
    wrong. See docs/experiments.md for the rules.
-#}
with

quantile_settings as (

    select * from {{ ref('experiment_quantiles') }}

),

assignments as (

    select * from {{ ref('experiment_metric_assignments') }}

),

problems as (

    select
        experiment_key,
        metric_key,
        'quantile_level must be strictly between 0 and 1' as problem
    from quantile_settings
    where not (quantile_level > 0 and quantile_level < 1)

    union all

    select
        experiment_key,
        metric_key,
        'is_guardrail must be true or false' as problem
    from quantile_settings
    where is_guardrail is null

    union all

    select
        quantile_settings.experiment_key,
        quantile_settings.metric_key,
        'the metric must be assigned to the experiment (seeds/experiment_metric_assignments.csv)' as problem
    from quantile_settings
    left join assignments
        on
            quantile_settings.experiment_key = assignments.experiment_key
            and quantile_settings.metric_key = assignments.metric_key
    where assignments.metric_key is null

)

select * from problems
