{#-
    Sorted list of the distinct non-null values of a text expression, joined by a delimiter,
    e.g. string_agg_distinct('platform') -> 'ios,web'. An aggregate: use with group by.
-#}
{% macro string_agg_distinct(expression, delimiter=',') -%}
    {{ return(adapter.dispatch('string_agg_distinct', 'pulse')(expression, delimiter)) }}
{%- endmacro %}

{% macro default__string_agg_distinct(expression, delimiter) -%}
    string_agg(distinct {{ expression }}, '{{ delimiter }}' order by {{ expression }})
{%- endmacro %}

{% macro redshift__string_agg_distinct(expression, delimiter) -%}
    listagg(distinct {{ expression }}, '{{ delimiter }}') within group (order by {{ expression }})
{%- endmacro %}
