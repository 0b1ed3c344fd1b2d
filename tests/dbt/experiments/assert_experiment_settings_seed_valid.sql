{#-
    seeds/experiment_settings.csv: every row names the experiment and what is wrong.
    See docs/experiments.md for the rules.
-#}
with

settings as (

    select * from {{ ref('experiment_settings') }}

),

problems as (

    select
        experiment_key,
        'prior_lift_mean and prior_lift_sd must be set both or neither' as problem
    from settings
    where (prior_lift_mean is null) != (prior_lift_sd is null)

    union all

    select
        experiment_key,
        'prior_lift_sd must be positive' as problem
    from settings
    where not prior_lift_sd > 0

)

select * from problems
