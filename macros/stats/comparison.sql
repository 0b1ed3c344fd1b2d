{#-
    The formulas of a two-arm comparison of means, shared by int_experiment_comparisons and
    int_experiment_slice_comparisons so that the overall and the slice results cannot drift
    apart. Arguments are SQL expressions; var_mean_* are variances of the arm means
    (variance / n). Every division is guarded (PostgreSQL raises on / 0; null instead).
-#}

{#- Delta-method standard error of mean_t / mean_c - 1. -#}
{% macro relative_lift_se(mean_t, var_mean_t, mean_c, var_mean_c) -%}
    sqrt(
        {{ var_mean_t }} / nullif({{ mean_c }} * {{ mean_c }}, 0)
        + {{ mean_t }} * {{ mean_t }} * {{ var_mean_c }}
        / nullif({{ mean_c }} * {{ mean_c }} * {{ mean_c }} * {{ mean_c }}, 0)
    )
{%- endmacro %}

{#- Welch-Satterthwaite degrees of freedom of the difference of two means. -#}
{% macro welch_df(var_mean_t, n_t, var_mean_c, n_c) -%}
    ({{ var_mean_t }} + {{ var_mean_c }}) * ({{ var_mean_t }} + {{ var_mean_c }})
    / nullif(
        {{ var_mean_t }} * {{ var_mean_t }} / nullif({{ n_t }} - 1, 0)
        + {{ var_mean_c }} * {{ var_mean_c }} / nullif({{ n_c }} - 1, 0),
        0
    )
{%- endmacro %}

{#- |Welch t| of the difference of two means. -#}
{% macro welch_abs_t(mean_t, var_mean_t, mean_c, var_mean_c) -%}
    abs({{ mean_t }} - {{ mean_c }}) / nullif(sqrt({{ var_mean_t }} + {{ var_mean_c }}), 0)
{%- endmacro %}

{#-
    Benjamini-Hochberg step-up over the rows of `relation` with is_bh_test, per family
    `partition_by` (comma-separated columns): a complete select of relation.* plus
    bh_step_up = min over ranks j >= i of p_j * m / j (cap at 1 when reading it). Ties are
    ranked by `order_by` so the result is deterministic.
-#}
{% macro benjamini_hochberg(relation, partition_by, order_by) -%}
    select
        bh_ranked.*,
        min(bh_ranked.p_value * bh_ranked.bh_test_count / bh_ranked.bh_rank) over (
            partition by {{ partition_by }}, bh_ranked.is_bh_test
            order by bh_ranked.bh_rank desc
            rows between unbounded preceding and current row
        ) as bh_step_up
    from (
        select
            {{ relation }}.*,
            row_number() over (
                partition by {{ partition_by }}, is_bh_test
                order by p_value, {{ order_by }}
            ) as bh_rank,
            sum(case when is_bh_test then 1 else 0 end) over (partition by {{ partition_by }}) as bh_test_count
        from {{ relation }}
    ) as bh_ranked
{%- endmacro %}

{#-
    Per-arm statistics with CUPED, a complete select from `relation` (columns `keys`,
    variant, metric_value, pre_exposure_value): one row per keys x variant with users,
    metric_mean, metric_variance (n - 1), cuped_mean, cuped_variance. CUPED: y' = y - theta
    (x - mean_x), theta = cov(x, y) / var(x) pooled over all rows of the keys (two-pass; no
    covar_samp on Redshift; theta = 0 when x is constant).
-#}
{% macro cuped_arm_stats(relation, keys) -%}
    {%- set on_keys -%}
        {%- for key in keys %}{{ 'and ' if not loop.first }}cuped_rows.{{ key }} = pooled.{{ key }} {% endfor -%}
    {%- endset -%}
    select
        {% for key in keys %}adjusted.{{ key }}, {% endfor %}
        adjusted.variant,
        count(*) as users,  -- noqa: RF04
        avg(adjusted.metric_value) as metric_mean,
        var_samp(adjusted.metric_value) as metric_variance,
        avg(adjusted.cuped_value) as cuped_mean,
        var_samp(adjusted.cuped_value) as cuped_variance
    from (
        select
            cuped_rows.*,
            cuped_rows.metric_value - pooled.theta * (cuped_rows.pre_exposure_value - pooled.pre_mean) as cuped_value
        from {{ relation }} as cuped_rows
        inner join (
            select
                {% for key in keys %}cuped_rows.{{ key }}, {% endfor %}
                means.pre_mean,
                coalesce(
                    sum(
                        (cuped_rows.pre_exposure_value - means.pre_mean)
                        * (cuped_rows.metric_value - means.post_mean)
                    )
                    / nullif(sum(
                        (cuped_rows.pre_exposure_value - means.pre_mean)
                        * (cuped_rows.pre_exposure_value - means.pre_mean)
                    ), 0),
                    0
                ) as theta
            from {{ relation }} as cuped_rows
            inner join (
                select
                    {% for key in keys %}{{ key }}, {% endfor %}
                    avg(pre_exposure_value) as pre_mean,
                    avg(metric_value) as post_mean
                from {{ relation }}
                group by {{ keys | join(', ') }}
            ) as means
                on {% for key in keys %}{{ 'and ' if not loop.first }}cuped_rows.{{ key }} = means.{{ key }} {% endfor %}
            group by {% for key in keys %}cuped_rows.{{ key }}, {% endfor %}means.pre_mean
        ) as pooled
            on {{ on_keys }}
    ) as adjusted
    group by {% for key in keys %}adjusted.{{ key }}, {% endfor %}adjusted.variant
{%- endmacro %}
