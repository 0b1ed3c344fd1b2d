{#-
    Generic test: the daily row count of a model (optionally per group) is not anomalous.

    Counts rows per UTC day of the tested timestamp column and scores them with the same
    model as rpt_event_volume_anomalies (volume_anomaly_scored). Fails with the anomalous
    rows of the checked days: the var monitor_date when set, else the last `lookback_days`
    days of the data (the last day of a model that is still filling up is partial: exclude
    it with the `where` config). Example on any model with a timestamp:

        columns:
          - name: event_at
            data_tests:
              - volume_anomaly:
                  arguments:
                    group_by: event_name
                    direction: drop
                  config:
                    where: "event_at < current_date"
                    severity: warn
-#}
{% test volume_anomaly(
    model,
    column_name,
    group_by=none,
    lookback_days=1,
    sensitivity=3.0,
    min_history_weeks=3,
    history_weeks=8,
    direction='both',
    min_expected=10,
    min_relative_change=0.3
) %}

    {%- set monitor_date = var('monitor_date') -%}
    {%- if monitor_date and not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', monitor_date | string) -%}
        {{ exceptions.raise_compiler_error("monitor_date must be YYYY-MM-DD, got " ~ monitor_date) }}
    {%- endif -%}

    with

    va_input as (

        select
            {{ 'cast(' ~ group_by ~ ' as ' ~ dbt.type_string() ~ ')' if group_by else "'all rows'" }} as series_name,
            cast({{ column_name }} as date) as metric_date,
            count(*) as observed
        from {{ model }}
        where {{ column_name }} is not null
        group by 1, 2

    ),

    scored as (

        {{ volume_anomaly_scored('va_input', sensitivity, min_history_weeks, history_weeks, direction,
                                 min_expected, min_relative_change) }}

    )

    select *
    from scored
    where
        is_anomaly
        {% if monitor_date -%}
        and metric_date = cast('{{ monitor_date }}' as date)
        {%- else -%}
        and metric_date > (
            select cast({{ dbt.dateadd('day', -(lookback_days | int), 'max(last_day.metric_date)') }} as date)
            from scored as last_day
        )
        {%- endif %}

{% endtest %}
