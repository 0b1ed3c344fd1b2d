{#-
    One row per day from start_date to end_date (both inclusive), column `spine_date` (date).

    start_date / end_date are SQL expressions over `from_relation`, which must return exactly
    one row (e.g. a CTE holding min/max dates); no row comes out when they are null. Unlike
    dbt.date_spine the bounds are not needed at compile time, so models using it compile (and
    lint) before any table exists. Same SQL on DuckDB, PostgreSQL and Redshift (see numbers()).
    Covers up to max_days days.
-#}
{% macro day_spine(from_relation, start_date, end_date, max_days=100000) -%}
    select cast({{ dbt.dateadd('day', 'day_numbers.generated_number', start_date) }} as date) as spine_date
    from ({{ numbers(max_days) }}) as day_numbers
    cross join {{ from_relation }}
    where day_numbers.generated_number <= {{ dbt.datediff(start_date, end_date, 'day') }}
{%- endmacro %}
