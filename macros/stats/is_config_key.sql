{#-
    True when a text expression is a safe configuration key: 1-64 characters from
    `allowed` (default [a-z0-9_]). Portable (translate deletes the allowed characters; no
    regex dialects). Used by the experiment seed tests to validate keys before they reach
    JSON paths and reports.
-#}
{% macro is_config_key(expression, allowed='abcdefghijklmnopqrstuvwxyz0123456789_') -%}
    (
        length({{ expression }}) between 1 and 64
        and translate({{ expression }}, '{{ allowed }}', '') = ''
    )
{%- endmacro %}
