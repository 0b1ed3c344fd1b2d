{#-
    Generic test: a critical value is positive on the checked day.

    The checked day is the var monitor_date when set (`pulse monitor --date D` sets it), else
    the model's latest date, so a historical zero does not fail every later build. Rows with
    a null or <= 0 value fail; `required_column` (a boolean column) limits the check to rows
    where a zero matters. Put the real severity in the test config, e.g.

        data_tests:
          - critical_value_nonzero:
              arguments:
                date_column: metric_date
              config:
                where: "metric_name = 'signups'"
                severity: error
                tags: [pulse_monitor]
-#}
{% test critical_value_nonzero(model, column_name, date_column, required_column=none) %}

    {%- set monitor_date = var('monitor_date') -%}
    {%- if monitor_date and not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', monitor_date | string) -%}
        {{ exceptions.raise_compiler_error("monitor_date must be YYYY-MM-DD, got " ~ monitor_date) }}
    {%- endif -%}

    with

    scoped as (

        select * from {{ model }}

    ),

    checked as (

        select *
        from scoped
        where
            {% if monitor_date -%}
            {{ date_column }} = cast('{{ monitor_date }}' as date)
            {%- else -%}
            {{ date_column }} = (select max(latest.{{ date_column }}) from scoped as latest)
            {%- endif %}
            {% if required_column %}and {{ required_column }}{% endif %}

    )

    select *
    from checked
    where coalesce({{ column_name }}, 0) <= 0

{% endtest %}
