{#-
    MetricFlow's time spine: one row per UTC day from 2020-01-01 to the last event date in
    fct_events (so a cumulative metric such as MAU ends on the last day with data instead of
    running on past it, and "last value of the period" is the last day with data), with the
    Monday of its week (the marts' weeks start on Monday, as date_trunc('week') does on
    DuckDB, PostgreSQL and Redshift) and the first day of its month. MetricFlow joins it
    for cumulative metrics (WAU, MAU), offsets (net new MRR) and filling days without
    data. Not read by any pulse mart.
-#}
{%- set first_day = '2020-01-01' -%}

with

bounds as (

    select
        cast('{{ first_day }}' as date) as first_date,
        coalesce(max(event_date), cast('{{ first_day }}' as date)) as last_date
    from {{ ref('fct_events') }}

),

spine as (

    {{ day_spine('bounds', 'bounds.first_date', 'bounds.last_date', max_days=20000) }}

),

final as (

    select
        spine_date as date_day,
        cast({{ dbt.date_trunc('week', 'spine_date') }} as date) as week_start_date,
        cast({{ dbt.date_trunc('month', 'spine_date') }} as date) as month_start_date
    from spine

)

select * from final
