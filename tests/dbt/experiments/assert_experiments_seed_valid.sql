{#-
    seeds/experiments.csv: every row names the experiment, its variant and what is wrong.
    See docs/experiments.md for the rules.
-#}
with

variants as (

    select * from {{ ref('experiments') }}

),

per_experiment as (

    select
        experiment_key,
        sum(case when is_control then 1 else 0 end) as control_count,
        count(*) as variant_count,
        count(distinct start_date) as start_date_count,
        count(distinct coalesce(end_date, cast('9999-12-31' as date))) as end_date_count
    from variants
    group by experiment_key

),

row_problems as (

    select
        experiment_key,
        variant,
        'experiment_key must be 1-64 characters of [a-z0-9_]' as problem
    from variants
    where not {{ is_config_key('experiment_key') }}

    union all

    select
        experiment_key,
        variant,
        'variant must be 1-64 characters of [a-z0-9_]' as problem
    from variants
    where not {{ is_config_key('variant') }}

    union all

    select
        experiment_key,
        variant,
        'weight must be positive' as problem
    from variants
    where not weight > 0

    union all

    select
        experiment_key,
        variant,
        'end_date must not be before start_date' as problem
    from variants
    where end_date < start_date

),

experiment_problems as (

    select
        experiment_key,
        cast(null as varchar(64)) as variant,
        'needs exactly one control variant (is_control = true), has '
        || cast(control_count as varchar(16)) as problem
    from per_experiment
    where control_count != 1

    union all

    select
        experiment_key,
        cast(null as varchar(64)) as variant,
        'needs 2 to 40 variants, has ' || cast(variant_count as varchar(16)) as problem
    from per_experiment
    where variant_count < 2 or variant_count > 40

    union all

    select
        experiment_key,
        cast(null as varchar(64)) as variant,
        'start_date and end_date must be the same on every variant row' as problem
    from per_experiment
    where start_date_count > 1 or end_date_count > 1

)

select * from row_problems
union all
select * from experiment_problems
