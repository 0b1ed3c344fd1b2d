{#-
    The always-valid (sequential) read-out of a relative lift, shared by int_experiment_comparisons
    (the overall result) and rpt_experiment_daily_results (the same read-out as of every day),
    so that the two cannot drift apart. The asymptotic confidence sequence of Waudby-Smith et
    al. (2023, eq. 9), as gbstats (GrowthBook) computes it, with alpha = 1 -
    var('experiment_confidence_level') and tau = var('experiment_sequential_tuning'):

    sequential_n_rho2(total_users)   N rho^2, N = users of the arm + users of control,
                                     rho^2 = (-2 ln alpha + ln(1 - 2 ln alpha)) / tau
    sequential_half_width(se, n_rho2)
                                     se * sqrt(2 (N rho^2 + 1) ln(sqrt(N rho^2 + 1) / alpha) / (N rho^2))
    sequential_log_evalue(lift, se, n_rho2)
                                     rho^2 N (lift / se)^2 / (2 (N rho^2 + 1)) - ln(N rho^2 + 1) / 2
                                     (p = min(1, 1 / e-value))

    Arguments are SQL expressions repeated in the generated SQL: pass columns.
-#}

{% macro sequential_n_rho2(total_users) -%}
    {%- set alpha = 1.0 - (var('experiment_confidence_level') | float) -%}
    {%- set tuning = var('experiment_sequential_tuning') | float -%}
    cast({{ total_users }} as double precision)
        * (-2.0 * ln({{ alpha }}) + ln(1.0 - 2.0 * ln({{ alpha }}))) / {{ tuning }}
{%- endmacro %}

{% macro sequential_half_width(se, n_rho2) -%}
    {%- set alpha = 1.0 - (var('experiment_confidence_level') | float) -%}
    {{ se }}
    * sqrt(
        2.0 * ({{ n_rho2 }} + 1.0) * ln(sqrt({{ n_rho2 }} + 1.0) / {{ alpha }}) / nullif({{ n_rho2 }}, 0)
    )
{%- endmacro %}

{% macro sequential_log_evalue(lift, se, n_rho2) -%}
    {{ n_rho2 }} * ({{ lift }} / nullif({{ se }}, 0)) * ({{ lift }} / nullif({{ se }}, 0))
    / (2.0 * ({{ n_rho2 }} + 1.0))
    - ln({{ n_rho2 }} + 1.0) / 2.0
{%- endmacro %}
