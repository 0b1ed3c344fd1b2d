{#-
    Standard normal distribution as portable SQL expressions (DuckDB, PostgreSQL, Redshift):
    only exp, ln, sqrt, abs and arithmetic, no erf (PostgreSQL 15 and Redshift have none).

    normal_cdf(x)     P(Z <= x). Hart's double-precision rational approximation (Hart 1968,
                      as given by West 2005, "Better approximations to cumulative normal
                      functions"): absolute error below 1e-14 everywhere. The small tail is
                      computed directly (no 1 - ...), so normal_cdf(-|z|) keeps full relative
                      precision for tiny p-values down to about 1e-297; beyond |x| = 37 it
                      returns exactly 0 or 1 (so exp never underflows, which PostgreSQL turns
                      into an error).
    normal_inv(p)     The quantile (inverse CDF) for 0 < p < 1, Acklam's rational
                      approximation: relative error below 1.15e-9. Null outside (0, 1).

    Arguments are cast to double precision (DuckDB would otherwise do exact DECIMAL
    arithmetic on the literals and overflow). They are SQL expressions that are repeated several times in the generated SQL:
    pass a column or a cheap expression, not a subquery.
-#}

{% macro _normal_lower_tail(ax) -%}
    {#- P(Z <= -ax) for ax >= 0 -#}
    case
        when {{ ax }} > 37 then 0.0
        when {{ ax }} < 7.07106781186547 then
            exp(-{{ ax }} * {{ ax }} / 2.0)
            * ((((((0.0352624965998911 * {{ ax }} + 0.700383064443688) * {{ ax }}
                + 6.37396220353165) * {{ ax }} + 33.912866078383) * {{ ax }}
                + 112.079291497871) * {{ ax }} + 221.213596169931) * {{ ax }}
                + 220.206867912376)
            / (((((((0.0883883476483184 * {{ ax }} + 1.75566716318264) * {{ ax }}
                + 16.064177579207) * {{ ax }} + 86.7807322029461) * {{ ax }}
                + 296.564248779674) * {{ ax }} + 637.333633378831) * {{ ax }}
                + 793.826512519948) * {{ ax }} + 440.413735824752)
        else
            exp(-{{ ax }} * {{ ax }} / 2.0)
            / ({{ ax }} + 1.0 / ({{ ax }} + 2.0 / ({{ ax }} + 3.0 / ({{ ax }} + 4.0 / ({{ ax }} + 0.65)))))
            / 2.506628274631
    end
{%- endmacro %}

{% macro normal_cdf(x) -%}
    {%- set xd = 'cast((' ~ x ~ ') as double precision)' -%}
    (case
        when {{ xd }} > 0 then 1.0 - {{ _normal_lower_tail('abs(' ~ xd ~ ')') }}
        else {{ _normal_lower_tail('abs(' ~ xd ~ ')') }}
    end)
{%- endmacro %}

{% macro normal_inv(p_expression) -%}
    {%- set p = 'cast((' ~ p_expression ~ ') as double precision)' -%}
    {%- set lower_q = 'sqrt(-2.0 * ln(' ~ p ~ '))' -%}
    {%- set upper_q = 'sqrt(-2.0 * ln(1.0 - (' ~ p ~ ')))' -%}
    {%- set r = '((' ~ p ~ ') - 0.5) * ((' ~ p ~ ') - 0.5)' -%}
    (case
        when ({{ p }}) <= 0 or ({{ p }}) >= 1 then null
        when ({{ p }}) < 0.02425 then
            {{ _acklam_tail(lower_q) }}
        when ({{ p }}) > 0.97575 then
            -{{ _acklam_tail(upper_q) }}
        else
            (((((-39.69683028665376 * {{ r }} + 220.9460984245205) * {{ r }}
                - 275.9285104469687) * {{ r }} + 138.3577518672690) * {{ r }}
                - 30.66479806614716) * {{ r }} + 2.506628277459239) * (({{ p }}) - 0.5)
            / (((((-54.47609879822406 * {{ r }} + 161.5858368580409) * {{ r }}
                - 155.6989798598866) * {{ r }} + 66.80131188771972) * {{ r }}
                - 13.28068155288572) * {{ r }} + 1.0)
    end)
{%- endmacro %}

{% macro _acklam_tail(q) -%}
    ((((((-0.007784894002430293 * {{ q }} - 0.3223964580411365) * {{ q }}
        - 2.400758277161838) * {{ q }} - 2.549732539343734) * {{ q }}
        + 4.374664141464968) * {{ q }} + 2.938163982698783)
    / ((((0.007784695709041462 * {{ q }} + 0.3224671290700398) * {{ q }}
        + 2.445134137142996) * {{ q }} + 3.754408661907416) * {{ q }} + 1.0))
{%- endmacro %}
