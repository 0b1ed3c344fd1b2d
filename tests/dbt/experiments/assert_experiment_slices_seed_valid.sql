{#-
    seeds/experiment_slices.csv: every row names the experiment, the dimension and what is
    wrong. See docs/experiments.md for the rules.
-#}
with

slice_settings as (

    select * from {{ ref('experiment_slices') }}

),

known_dimensions as (

    {%- for dimension in ['platform', 'user_type'] + var('experiment_slice_user_columns') %}
    select '{{ dimension }}' as dimension
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

problems as (

    select
        slice_settings.experiment_key,
        slice_settings.dimension,
        'dimension must be platform, user_type or in var experiment_slice_user_columns' as problem
    from slice_settings
    left join known_dimensions
        on slice_settings.dimension = known_dimensions.dimension
    where known_dimensions.dimension is null

    union all

    select
        experiment_key,
        dimension,
        'top_n must be at least 1' as problem
    from slice_settings
    where not top_n >= 1

)

select * from problems
