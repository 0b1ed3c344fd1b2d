{#-
    Read a top-level key of a JSON object stored as text when the key is data (a column of a
    configuration seed), not a compile-time literal as in json_text / json_number
    (macros/utils/json.sql). The experiment metrics read their `property` and
    `filter_property` this way. Keys come from seeds whose tests restrict them to
    [A-Za-z0-9_] (tests/dbt/experiments), so the DuckDB JSON path built from them is safe.

    json_text_by_key(json_column, key_expression)   -> text or null
    json_number_by_key(json_column, key_expression) -> double precision when the value is a
                                                       JSON number, else null
    Redshift: json_extract_path_text with a non-literal path element (not tested here).
-#}

{% macro json_text_by_key(json_column, key_expression) -%}
    {{ return(adapter.dispatch('json_text_by_key', 'pulse')(json_column, key_expression)) }}
{%- endmacro %}

{% macro default__json_text_by_key(json_column, key_expression) -%}
    (cast({{ json_column }} as json) ->> ({{ key_expression }}))
{%- endmacro %}

{% macro duckdb__json_text_by_key(json_column, key_expression) -%}
    json_extract_string({{ json_column }}, '$.' || ({{ key_expression }}))
{%- endmacro %}

{% macro redshift__json_text_by_key(json_column, key_expression) -%}
    nullif(json_extract_path_text({{ json_column }}, {{ key_expression }}, true), '')
{%- endmacro %}


{% macro json_number_by_key(json_column, key_expression) -%}
    {{ return(adapter.dispatch('json_number_by_key', 'pulse')(json_column, key_expression)) }}
{%- endmacro %}

{% macro default__json_number_by_key(json_column, key_expression) -%}
    case
        when json_typeof(cast({{ json_column }} as json) -> ({{ key_expression }})) = 'number'
            then cast(cast({{ json_column }} as json) ->> ({{ key_expression }}) as double precision)
    end
{%- endmacro %}

{% macro duckdb__json_number_by_key(json_column, key_expression) -%}
    case
        when json_type({{ json_column }}, '$.' || ({{ key_expression }})) in ('UBIGINT', 'BIGINT', 'DOUBLE')
            then cast(json_extract_string({{ json_column }}, '$.' || ({{ key_expression }})) as double)
    end
{%- endmacro %}

{% macro redshift__json_number_by_key(json_column, key_expression) -%}
    case
        when json_extract_path_text({{ json_column }}, {{ key_expression }}, true)
            ~ '^-?[0-9]+([.][0-9]+)?([eE][-+]?[0-9]+)?$'
            then cast(json_extract_path_text({{ json_column }}, {{ key_expression }}, true) as double precision)
    end
{%- endmacro %}
