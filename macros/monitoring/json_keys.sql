{#-
    json_object_key_rows(json_column): a set-returning select-list expression giving one row
    per top-level key of a JSON object stored as text (no rows for '{}').

    DuckDB: unnest(json_keys(...)); PostgreSQL: json_object_keys(...). Redshift has no
    set-returning JSON key function, so models using this are disabled there (see
    int_event_schema_first_seen).
-#}
{% macro json_object_key_rows(json_column) -%}
    {{ return(adapter.dispatch('json_object_key_rows', 'pulse')(json_column)) }}
{%- endmacro %}

{% macro default__json_object_key_rows(json_column) -%}
    json_object_keys(cast({{ json_column }} as json))
{%- endmacro %}

{% macro duckdb__json_object_key_rows(json_column) -%}
    unnest(json_keys({{ json_column }}))
{%- endmacro %}
