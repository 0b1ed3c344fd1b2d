{#-
    A subquery body returning the integers 0 .. count-1 in column `generated_number`.

    Built from cross-joined digit lists in plain subqueries (no generate_series, which
    Redshift runs on the leader node only, and no nested WITH), so the SQL is the same on
    DuckDB, PostgreSQL and Redshift. Use it as `from ({{ numbers(28) }}) as offsets`.
-#}
{% macro numbers(count) -%}
    {%- set count = count | int -%}
    {%- if count < 1 -%}
        {{ exceptions.raise_compiler_error("numbers(): count must be at least 1, got " ~ count) }}
    {%- endif -%}
    {%- set n_digits = (count - 1) | string | length -%}
    select
        {% for i in range(n_digits) -%}
            d{{ i }}.digit * {{ 10 ** i }}{{ ' +' if not loop.last }}
        {% endfor -%} as generated_number
    from
        {% for i in range(n_digits) -%}
            {{ 'cross join ' if not loop.first }}(
                select 0 as digit union all select 1 union all select 2 union all select 3
                union all select 4 union all select 5 union all select 6 union all select 7
                union all select 8 union all select 9
            ) as d{{ i }}
        {% endfor %}
    where
        {% for i in range(n_digits) -%}
            d{{ i }}.digit * {{ 10 ** i }}{{ ' +' if not loop.last }}
        {% endfor -%} < {{ count }}
{%- endmacro %}
