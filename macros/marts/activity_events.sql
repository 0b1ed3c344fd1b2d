{#-
    Which events count as activity for DAU/WAU/MAU, engagement and retention.

    var('activity_event_names') lists event names; empty (the default) means every event.
    Names are validated ([a-z0-9_], the contract's event name rule) before they reach SQL.
    Returns a boolean SQL condition on the given column.
-#}
{% macro is_activity_event(column='event_name') -%}
    {%- set names = var('activity_event_names') -%}
    {%- if names is string -%}
        {%- set names = [names] -%}
    {%- endif -%}
    {%- if names | length == 0 -%}
        (1 = 1)
    {%- else -%}
        {%- for name in names -%}
            {%- if not modules.re.fullmatch('[a-z0-9_]{1,64}', name) -%}
                {{ exceptions.raise_compiler_error("activity_event_names: invalid event name " ~ name) }}
            {%- endif -%}
        {%- endfor -%}
        ({{ column }} in ('{{ names | join("', '") }}'))
    {%- endif -%}
{%- endmacro %}
