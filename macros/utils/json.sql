{#-
    Read one top-level key of a JSON object stored as text (raw `properties`).

    json_text(column, key)   -> the value as text (objects/arrays as JSON text), null when
                                the key is missing or JSON null.
    json_number(column, key) -> the value as double precision when it is a JSON number,
                                otherwise null (never an error).
    json_integer(column, key) -> json_number as bigint, null beyond +-9e18: raw values are
                                any JSON number, and one huge value must not fail the model.

    Keys are restricted to [A-Za-z0-9_] so they can be inlined safely in every dialect.

    Dialect notes:
    - DuckDB:     json_extract_string / json_type (json extension, autoloaded).
    - PostgreSQL: ->> on a ::json cast of the text.
    - Redshift:   json_extract_path_text(..., true) (null_if_invalid). It returns '' for a
                  missing key, so '' is mapped to null (a genuine empty-string value is null
                  too), and numbers are recognised by pattern, so a string such as "12" also
                  reads as 12 there.
-#}

{% macro _pulse_json_key(key) -%}
    {%- if not modules.re.fullmatch('[A-Za-z0-9_]+', key) -%}
        {{ exceptions.raise_compiler_error("json key must match [A-Za-z0-9_]+, got " ~ key) }}
    {%- endif -%}
    {{- key -}}
{%- endmacro %}


{% macro json_text(json_column, key) -%}
    {{ return(adapter.dispatch('json_text', 'pulse')(json_column, _pulse_json_key(key))) }}
{%- endmacro %}

{% macro default__json_text(json_column, key) -%}
    (cast({{ json_column }} as json) ->> '{{ key }}')
{%- endmacro %}

{% macro duckdb__json_text(json_column, key) -%}
    json_extract_string({{ json_column }}, '$.{{ key }}')
{%- endmacro %}

{% macro redshift__json_text(json_column, key) -%}
    nullif(json_extract_path_text({{ json_column }}, '{{ key }}', true), '')
{%- endmacro %}


{% macro json_number(json_column, key) -%}
    {{ return(adapter.dispatch('json_number', 'pulse')(json_column, _pulse_json_key(key))) }}
{%- endmacro %}

{% macro default__json_number(json_column, key) -%}
    case
        when json_typeof(cast({{ json_column }} as json) -> '{{ key }}') = 'number'
            then cast(cast({{ json_column }} as json) ->> '{{ key }}' as double precision)
    end
{%- endmacro %}

{% macro duckdb__json_number(json_column, key) -%}
    case
        when json_type({{ json_column }}, '$.{{ key }}') in ('UBIGINT', 'BIGINT', 'DOUBLE')
            then cast(json_extract_string({{ json_column }}, '$.{{ key }}') as double)
    end
{%- endmacro %}

{% macro redshift__json_number(json_column, key) -%}
    case
        when json_extract_path_text({{ json_column }}, '{{ key }}', true)
            ~ '^-?[0-9]+([.][0-9]+)?([eE][-+]?[0-9]+)?$'
            then cast(json_extract_path_text({{ json_column }}, '{{ key }}', true) as double precision)
    end
{%- endmacro %}


{% macro json_integer(json_column, key) -%}
    {%- set number = json_number(json_column, key) -%}
    case
        when {{ number }} between -9.0e18 and 9.0e18
            then cast({{ number }} as {{ dbt.type_bigint() }})
    end
{%- endmacro %}
