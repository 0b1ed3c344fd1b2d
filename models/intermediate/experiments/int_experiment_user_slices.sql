{#-
    One row per experiment, slice dimension configured for it (seeds/experiment_slices.csv)
    and analysed (single-variant) user: the user's value of the dimension and the slice it
    falls in.

    Dimensions:
    - platform: the platform of the user's first exposure (int_experiment_exposures).
    - user_type: new when the user was first seen (dim_users.first_seen_at) on or after the
      experiment's start_date 00:00 UTC, else returning.
    - any dim_users column listed in var('experiment_slice_user_columns') (country,
      utm_source, ...), as text.

    Slices: the experiment's top_n most common values (by analysed users; ties by value)
    keep their value, the rest are '(other)'; a missing value is '(missing)' and ranks like
    any value.
-#}
{{ config(materialized='table') }}

with

slice_settings as (

    select
        experiment_key,
        dimension,
        top_n
    from {{ ref('experiment_slices') }}

),

experiment_starts as (

    select
        experiment_key,
        min(start_date) as start_date
    from {{ ref('experiments') }}
    group by experiment_key

),

exposures as (

    select
        experiment_key,
        user_id,
        variant,
        first_platform
    from {{ ref('int_experiment_exposures') }}
    where not is_multi_variant

),

users as (

    select * from {{ ref('dim_users') }}

),

dimension_values as (

    select
        exposures.experiment_key,
        exposures.user_id,
        exposures.variant,
        'platform' as dimension,
        exposures.first_platform as dimension_value
    from exposures

    union all

    select
        exposures.experiment_key,
        exposures.user_id,
        exposures.variant,
        'user_type' as dimension,
        case
            when users.first_seen_at >= cast(experiment_starts.start_date as {{ dbt.type_timestamp() }})
                then 'new'
            else 'returning'
        end as dimension_value
    from exposures
    inner join experiment_starts
        on exposures.experiment_key = experiment_starts.experiment_key
    left join users
        on exposures.user_id = users.user_id
    {% for column in var('experiment_slice_user_columns') %}

    union all

    select
        exposures.experiment_key,
        exposures.user_id,
        exposures.variant,
        '{{ column }}' as dimension,
        cast(users.{{ column }} as {{ dbt.type_string() }}) as dimension_value
    from exposures
    left join users
        on exposures.user_id = users.user_id
    {% endfor %}

),

configured as (

    select
        dimension_values.experiment_key,
        dimension_values.dimension,
        dimension_values.user_id,
        dimension_values.variant,
        coalesce(dimension_values.dimension_value, '(missing)') as dimension_value,
        slice_settings.top_n
    from dimension_values
    inner join slice_settings
        on
            dimension_values.experiment_key = slice_settings.experiment_key
            and dimension_values.dimension = slice_settings.dimension

),

value_counts as (

    select
        experiment_key,
        dimension,
        dimension_value,
        top_n,
        count(*) as value_users
    from configured
    group by experiment_key, dimension, dimension_value, top_n

),

value_ranks as (

    select
        experiment_key,
        dimension,
        dimension_value,
        row_number() over (
            partition by experiment_key, dimension
            order by value_users desc, dimension_value asc
        ) as value_rank,
        top_n
    from value_counts

),

final as (

    select
        configured.experiment_key,
        configured.dimension,
        configured.user_id,
        configured.variant,
        configured.dimension_value,
        case
            when value_ranks.value_rank <= value_ranks.top_n then configured.dimension_value
            else '(other)'
        end as slice_value
    from configured
    inner join value_ranks
        on
            configured.experiment_key = value_ranks.experiment_key
            and configured.dimension = value_ranks.dimension
            and configured.dimension_value = value_ranks.dimension_value

)

select * from final
