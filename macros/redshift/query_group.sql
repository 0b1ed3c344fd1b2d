{#- The WLM query group of the job running dbt (Redshift only; nothing elsewhere): the
    PULSE_RS_QUERY_GROUP environment variable, else var('query_group'). A model's pre-hook,
    so each session that builds a model is routed by the queue its job belongs to. -#}
{% macro redshift_query_group() -%}
    {%- if target.type == 'redshift' -%}
        {%- set group = env_var('PULSE_RS_QUERY_GROUP', var('query_group')) -%}
        {%- if not modules.re.fullmatch('[a-z_][a-z0-9_]{0,62}', group) -%}
            {{ exceptions.raise_compiler_error("invalid query group " ~ group ~ ": use [a-z_][a-z0-9_]*") }}
        {%- endif -%}
        set query_group to '{{ group }}'
    {%- endif -%}
{%- endmacro %}
