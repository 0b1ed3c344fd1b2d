{#-
    Experiment results per slice: one row per experiment x slice dimension x slice value x
    assigned metric x configured variant (seeds/experiment_slices.csv names the dimensions,
    top_n and the multiple-testing correction; slices from int_experiment_user_slices): the
    slices of int_experiment_read_outs other than the overall one, each analysed as its own
    experiment by the same SQL as the overall result (rpt_experiment_results): Welch
    p-value, delta-method interval, CUPED with the slice's own theta, the slice's SRM,
    Benjamini-Hochberg over the family the seed's correction names, the sequential
    interval, the Bayesian read-out and the guardrail status.
-#}

with

read_outs as (

    select * from {{ ref('int_experiment_read_outs') }}
    where dimension != 'all'

),

final as (

    select
        experiment_key,
        dimension,
        slice_value,
        metric_key,
        variant,
        metric_role,
        is_control,
        users,  -- noqa: RF04
        metric_mean,
        metric_variance,
        abs_lift,
        rel_lift,
        rel_lift_ci_low,
        rel_lift_ci_high,
        welch_df,
        p_value,
        correction,
        p_value_adjusted,
        cuped_rel_lift,
        cuped_p_value,
        slice_users,
        srm_p_value,
        has_srm,
        metric_direction,
        non_inferiority_margin,
        guardrail_status,
        guardrail_breached,
        interval_method,
        sequential_ci_low,
        sequential_ci_high,
        sequential_p_value,
        prior_lift_mean,
        prior_lift_sd,
        posterior_lift_mean,
        chance_to_win,
        risk_control,
        risk_treatment,
        credible_low,
        credible_high
    from read_outs

)

select * from final
