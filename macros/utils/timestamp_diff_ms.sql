{#-
    Whole milliseconds from start_ts to end_ts (bigint; negative when end is earlier).

    dbt.datediff counts unit boundaries crossed, which is not an elapsed time at sub-unit
    precision; session gaps, caps and durations need the elapsed time.
-#}
{% macro timestamp_diff_ms(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('timestamp_diff_ms', 'pulse')(start_ts, end_ts)) }}
{%- endmacro %}

{% macro default__timestamp_diff_ms(start_ts, end_ts) -%}
    cast(floor(extract(epoch from ({{ end_ts }}) - ({{ start_ts }})) * 1000) as bigint)
{%- endmacro %}

{% macro duckdb__timestamp_diff_ms(start_ts, end_ts) -%}
    (epoch_ms({{ end_ts }}) - epoch_ms({{ start_ts }}))
{%- endmacro %}

{% macro redshift__timestamp_diff_ms(start_ts, end_ts) -%}
    datediff(millisecond, {{ start_ts }}, {{ end_ts }})
{%- endmacro %}
