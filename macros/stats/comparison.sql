{#-
    The formulas of a two-arm comparison of means, computed once per slice by
    int_experiment_comparisons (the overall result is the slice 'all'), so that the overall
    and the slice results cannot drift apart. Arguments are SQL expressions; var_mean_* are variances of the arm means
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
    Delta-method variance of one user's contribution to a ratio of arm totals R = mean(y) /
    mean(d): (var(y) - 2 R cov(y, d) + R^2 var(d)) / mean(d)^2, so that it / users is the
    variance of R as for a mean (experiment_arm_stats; rpt_experiment_daily_results from
    running sums).
-#}
{% macro ratio_metric_variance(numerator_mean, numerator_variance, denominator_mean, denominator_variance, covariance) -%}
    (
        {{ numerator_variance }}
        - 2.0 * {{ numerator_mean }} / nullif({{ denominator_mean }}, 0) * {{ covariance }}
        + {{ numerator_mean }} * {{ numerator_mean }} / nullif({{ denominator_mean }} * {{ denominator_mean }}, 0)
        * {{ denominator_variance }}
    ) / nullif({{ denominator_mean }} * {{ denominator_mean }}, 0)
{%- endmacro %}

{#-
    Per-arm statistics, a complete select from `relation` (columns `keys`, variant,
    metric_value, pre_exposure_value, denominator_value): one row per keys x variant with
    users, metric_mean, metric_variance (n - 1), cuped_mean, cuped_variance.

    - CUPED: y' = y - theta (x - mean_x), theta = cov(x, y) / var(x) pooled over all rows of
      the keys (two-pass; no covar_samp on Redshift; theta = 0 when x is constant).
    - Ratio metrics (rows with a denominator_value d): metric_mean = R = mean(y) / mean(d),
      the ratio of the arm totals, and metric_variance the delta-method variance of one
      user's contribution, (var(y) - 2 R cov(y, d) + R^2 var(d)) / mean(d)^2, so that
      metric_variance / users is the variance of R as for a mean. No CUPED (null).
-#}
{% macro experiment_arm_stats(relation, keys) -%}
    {%- set arm_keys = keys + ['variant'] -%}
    select
        {% for key in arm_keys %}{{ key }}, {% endfor %}
        users,  -- noqa: RF04
        case
            when is_ratio then numerator_mean / nullif(denominator_mean, 0)
            else numerator_mean
        end as metric_mean,
        case
            when is_ratio
                then {{ ratio_metric_variance(
                    'numerator_mean', 'numerator_variance', 'denominator_mean',
                    'denominator_variance', 'covariance',
                ) }}
            else numerator_variance
        end as metric_variance,
        case when not is_ratio then cuped_mean end as cuped_mean,
        case when not is_ratio then cuped_variance end as cuped_variance
    from (
        select
            {% for key in arm_keys %}adjusted.{{ key }}, {% endfor %}
            count(*) as users,  -- noqa: RF04
            count(adjusted.denominator_value) > 0 as is_ratio,
            avg(adjusted.metric_value) as numerator_mean,
            var_samp(adjusted.metric_value) as numerator_variance,
            avg(adjusted.denominator_value) as denominator_mean,
            var_samp(adjusted.denominator_value) as denominator_variance,
            sum(
                (adjusted.metric_value - arm_means.numerator_mean)
                * (adjusted.denominator_value - arm_means.denominator_mean)
            ) / nullif(count(*) - 1, 0) as covariance,
            avg(adjusted.cuped_value) as cuped_mean,
            case
                -- a constant adjusted value has no variance: its rounding noise (7.6e-31 in one
                -- warehouse, 0 in another) must not turn into a t statistic
                when var_samp(adjusted.cuped_value) <= 1e-12 * avg(adjusted.cuped_value * adjusted.cuped_value)
                    then 0.0
                else var_samp(adjusted.cuped_value)
            end as cuped_variance
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
                on {% for key in keys %}{{ 'and ' if not loop.first }}cuped_rows.{{ key }} = pooled.{{ key }} {% endfor %}
        ) as adjusted
        inner join (
            select
                {% for key in arm_keys %}{{ key }}, {% endfor %}
                avg(metric_value) as numerator_mean,
                avg(denominator_value) as denominator_mean
            from {{ relation }}
            group by {{ arm_keys | join(', ') }}
        ) as arm_means
            on {% for key in arm_keys %}{{ 'and ' if not loop.first }}adjusted.{{ key }} = arm_means.{{ key }} {% endfor %}
        group by {% for key in arm_keys %}adjusted.{{ key }}{{ ', ' if not loop.last }}{% endfor %}
    ) as arms
{%- endmacro %}
