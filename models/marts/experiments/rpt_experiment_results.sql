{#-
    Experiment results: one row per experiment x assigned metric x configured variant, the
    overall slice (dimension = 'all', slice_value = 'all': every analysed user) of
    int_experiment_read_outs, where every statistic is computed and documented (Welch
    p-value, delta-method interval, CUPED, Benjamini-Hochberg over the experiment's primary
    and secondary metrics x treatment variants, sequential interval, Bayesian read-out,
    guardrail status, SRM), by the same SQL as every slice's. Multi-variant users and the
    trust flag come from int_experiment_health (same on every row of an experiment);
    is_trustworthy = false marks results nobody should act on.
-#}

with

read_outs as (

    select * from {{ ref('int_experiment_read_outs') }}
    where dimension = 'all'

),

health as (

    select * from {{ ref('int_experiment_health') }}

),

final as (

    select
        read_outs.experiment_key,
        read_outs.metric_key,
        read_outs.variant,
        read_outs.metric_role,
        read_outs.metric_direction,
        read_outs.non_inferiority_margin,
        read_outs.guardrail_status,
        read_outs.guardrail_breached,
        read_outs.is_control,
        read_outs.users,
        read_outs.metric_mean,
        read_outs.metric_variance,
        read_outs.abs_lift,
        read_outs.rel_lift,
        read_outs.rel_lift_ci_low,
        read_outs.rel_lift_ci_high,
        read_outs.welch_df,
        read_outs.p_value,
        read_outs.p_value_adjusted,
        read_outs.cuped_rel_lift,
        read_outs.cuped_p_value,
        read_outs.cuped_variance,
        read_outs.interval_method,
        read_outs.sequential_ci_low,
        read_outs.sequential_ci_high,
        read_outs.sequential_p_value,
        read_outs.prior_lift_mean,
        read_outs.prior_lift_sd,
        read_outs.posterior_lift_mean,
        read_outs.chance_to_win,
        read_outs.risk_control,
        read_outs.risk_treatment,
        read_outs.credible_low,
        read_outs.credible_high,
        read_outs.srm_p_value,
        health.multi_variant_users,
        health.multi_variant_share,
        read_outs.has_srm,
        health.is_trustworthy
    from read_outs
    inner join health
        on read_outs.experiment_key = health.experiment_key

)

select * from final
