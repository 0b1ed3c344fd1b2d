{#-
    PostgreSQL only: forbid nested-loop joins for the rest of the model's transaction.

    The planner cannot estimate CTEs filtered by a subquery (rpt_funnel_conversion's funnel
    events after the rebuild date): it guesses a few rows and picks nested loops over CTE
    scans, quadratic in the events (54 s instead of about 1 s on 90 days of benchmark data).
    `set local` ends with the transaction dbt wraps the model in, so no other model is
    affected. Other warehouses: nothing.
-#}
{% macro prefer_hash_joins() -%}
    {{ return(adapter.dispatch('prefer_hash_joins', 'pulse')()) }}
{%- endmacro %}

{% macro default__prefer_hash_joins() -%}
{%- endmacro %}

{% macro postgres__prefer_hash_joins() -%}
    set local enable_nestloop = off
{%- endmacro %}
