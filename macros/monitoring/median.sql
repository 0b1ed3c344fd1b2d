{#-
    median(expression): the 50th percentile of a numeric expression (an aggregate).

    PostgreSQL needs the ordered-set form; DuckDB and Redshift have median(). On Redshift
    every sort-based aggregate in one select must order by the same expression, so callers
    keep one median per aggregation step.
-#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'pulse')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__median(expression) -%}
    median({{ expression }})
{%- endmacro %}

{% macro redshift__median(expression) -%}
    median({{ expression }})
{%- endmacro %}
