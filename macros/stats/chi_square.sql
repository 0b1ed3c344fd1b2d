{#-
    Chi-square survival function P(X >= x) for integer degrees of freedom 1..max_df, in closed
    form (portable SQL, exact apart from normal_cdf's 1e-14):

        even df: exp(-x/2) * sum_{i=0}^{df/2-1} (x/2)^i / i!
        odd df:  2 (1 - Phi(sqrt x)) + sqrt(2/pi) exp(-x/2) * sum_{i=1}^{(df-1)/2} x^(i-1/2) / (2i-1)!!

    The sums are unrolled at compile time up to max_df (default 39, i.e. 40 variants) with
    case guards on the row's df; null for a df outside 1..max_df or a negative x. Above
    x = 1400 the result is 0 (below 1e-250 for any df <= 39; exp would underflow, an error
    on PostgreSQL). Pass columns: the arguments are repeated in the generated SQL.
-#}
{% macro chi_square_sf(x_expression, df, max_df=39) -%}
    {%- set x = 'cast((' ~ x_expression ~ ') as double precision)' -%}
    {%- set max_terms = (max_df | int) // 2 -%}
    (case
        when ({{ df }}) is null or ({{ df }}) < 1 or ({{ df }}) > {{ max_df }} or ({{ x }}) < 0 then null
        when ({{ x }}) > 1400 then 0.0
        when mod(cast({{ df }} as integer), 2) = 0 then
            exp(-({{ x }}) / 2.0) * (1.0
            {%- set ns = namespace(factorial=1) %}
            {%- for i in range(1, max_terms + 1) %}
                {%- set ns.factorial = ns.factorial * i %}
                + case when ({{ df }}) >= {{ 2 * i + 2 }} then power(({{ x }}) / 2.0, {{ i }}) / {{ ns.factorial }}.0 else 0.0 end
            {%- endfor %})
        else
            2.0 * {{ normal_cdf('-sqrt(' ~ x ~ ')') }}
            + 0.7978845608028654 * exp(-({{ x }}) / 2.0) * (0.0
            {%- set ns = namespace(double_factorial=1) %}
            {%- for i in range(1, max_terms + 1) %}
                {%- set ns.double_factorial = ns.double_factorial * (2 * i - 1) %}
                + case when ({{ df }}) >= {{ 2 * i + 1 }} then power({{ x }}, {{ i }} - 0.5) / {{ ns.double_factorial }}.0 else 0.0 end
            {%- endfor %})
    end)
{%- endmacro %}
