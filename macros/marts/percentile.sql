{#-
    Continuous percentile of a numeric expression (an aggregate: use with group by), e.g.
    percentile('duration_ms', 0.9). Same SQL on DuckDB, PostgreSQL and Redshift (ordered-set
    aggregate), in one place so a dialect that needs another spelling is dispatched here.
-#}
{% macro percentile(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile', 'pulse')(expression, fraction)) }}
{%- endmacro %}

{% macro default__percentile(expression, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}
