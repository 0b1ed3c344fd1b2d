{#-
    Use custom schema names as-is.

    dbt's default prefixes a model's custom schema with the target schema
    (`public_marts`). pulse models land in the stable schemas `staging`,
    `intermediate` and `marts` (and seeds in `seeds`) on every target, so BI tools
    and the loader can rely on the names. Nodes without a custom schema fall back to
    the target schema.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
