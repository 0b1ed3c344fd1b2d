{#-
    A user's value of an experiment metric from the matching events in its window
    (seeds/experiment_metrics.csv): binary = 1 if any event else 0; count = events; sum = the
    numeric property summed (events without a numeric value add 0); ratio = the numerator,
    its property summed, or its events counted when it has no property. Arguments are SQL
    expressions (the metric's type and property, the window's event count and property sum).

    int_experiment_user_metrics applies it to the window's counts (and to the pre-exposure
    window's, for CUPED); rpt_experiment_daily_results to running counts (the value as of
    each day).
-#}
{% macro experiment_metric_value(metric_type, property, event_count, property_sum) -%}
    cast(case
        when {{ metric_type }} = 'binary' then case when {{ event_count }} > 0 then 1 else 0 end
        when {{ metric_type }} = 'sum' then {{ property_sum }}
        when {{ metric_type }} = 'ratio' and {{ property }} is not null then {{ property_sum }}
        else {{ event_count }}
    end as double precision)
{%- endmacro %}
