{#-
    One row per workspace with a subscription event, from fct_workspace_mrr_daily: when it
    first subscribed and first paid, and its MRR, plan and seats on the last day with data.
    The source of the "new paying workspaces" metric (dbt Semantic Layer, docs/bi.md) and
    the workspace dimension of the BI explores.
-#}
with

daily as (

    select * from {{ ref('fct_workspace_mrr_daily') }}

),

firsts as (

    select
        workspace_id,
        min(mrr_date) as first_subscription_date,
        min(case when is_paying then mrr_date end) as first_paid_date,
        max(mrr_date) as last_mrr_date
    from daily
    group by workspace_id

),

final as (

    select
        firsts.workspace_id,
        firsts.first_subscription_date,
        firsts.first_paid_date,
        daily.plan as current_plan,
        daily.seats as current_seats,
        daily.mrr_cents as current_mrr_cents,
        daily.is_paying
    from firsts
    inner join daily
        on
            firsts.workspace_id = daily.workspace_id
            and firsts.last_mrr_date = daily.mrr_date

)

select * from final
