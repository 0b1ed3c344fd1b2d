{#-
    The guardrail status of a relative lift and its interval against a non-inferiority
    margin (docs/experiments.md, Guardrails), one rule for the mean / ratio read-outs
    (int_experiment_read_outs) and the quantile ones (rpt_experiment_quantile_results).
    The deterioration d is -lift for an increase metric and lift for a decrease one, so its
    worst interval bound is -ci_low (increase) or ci_high (decrease):
    ok = worst bound of d <= margin; breached = best bound of d > 0 and d > margin;
    inconclusive otherwise; null without a lift or a worst bound.
-#}
{% macro guardrail_status(rel_lift, ci_low, ci_high, direction, margin) -%}
    case
        when {{ rel_lift }} is null then null
        when {{ direction }} = 'decrease' then
            case
                when {{ ci_high }} is null then null
                when {{ ci_high }} <= {{ margin }} then 'ok'
                when {{ ci_low }} > 0 and {{ rel_lift }} > {{ margin }} then 'breached'
                else 'inconclusive'
            end
        else
            case
                when {{ ci_low }} is null then null
                when -{{ ci_low }} <= {{ margin }} then 'ok'
                when -{{ ci_high }} > 0 and -{{ rel_lift }} > {{ margin }} then 'breached'
                else 'inconclusive'
            end
    end
{%- endmacro %}
