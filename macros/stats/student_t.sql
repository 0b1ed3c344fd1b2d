{#-
    Student's t distribution through a normal-equivalent deviate (portable SQL, no erf, no
    incomplete beta function).

    student_t_z(t, df): the z with P(Z > z) = P(T_df > |t|), from the asymptotic expansion of
    Hill (1970, CACM Algorithm 395, the branch for large or non-integer df):

        a = df - 0.5,  b = 48 a^2,  y = a ln(1 + t^2 / df)
        z = sqrt(y) (1 + (y + 3 + (((-0.4 y - 3.3) y - 24) y - 85.5) / (0.8 y^2 + 100 + b)) / b)

    so a two-sided p-value is 2 * normal_cdf(-z). Maximum absolute error of that p-value
    against the exact t distribution (scipy.stats.t, |t| <= 8):

        df = 2: 4e-4   df = 2.5: 8e-5   df = 3: 2e-5   df = 5: 3e-7   df = 10: 8e-10
        df >= 30: below 3e-12 (ln(1 + x) in place of log1p costs ~1e-10 at df = 1e5)

    i.e. it reaches the 1e-4 target from df = 2.5 on. Welch's df is at least
    min(n1, n2) - 1, so with 200+ users per arm the error is far below 1e-10. Below df = 2
    (arms of 2-3 users) it is not accurate; null for df <= 0.5. Pass columns: the
    arguments are repeated in the generated SQL.
-#}
{% macro student_t_z(t_expression, df_expression) -%}
    {%- set t = 'cast((' ~ t_expression ~ ') as double precision)' -%}
    {%- set df = 'cast((' ~ df_expression ~ ') as double precision)' -%}
    {%- set a = '((' ~ df ~ ') - 0.5)' -%}
    {%- set b = '(48.0 * ' ~ a ~ ' * ' ~ a ~ ')' -%}
    {%- set y = '(' ~ a ~ ' * ln(1.0 + (' ~ t ~ ') * (' ~ t ~ ') / (' ~ df ~ ')))' -%}
    (case
        when ({{ df }}) > 0.5 then
            sqrt({{ y }})
            * (1.0 + ({{ y }} + 3.0
                + (((-0.4 * {{ y }} - 3.3) * {{ y }} - 24.0) * {{ y }} - 85.5)
                / (0.8 * {{ y }} * {{ y }} + 100.0 + {{ b }})) / {{ b }})
    end)
{%- endmacro %}
