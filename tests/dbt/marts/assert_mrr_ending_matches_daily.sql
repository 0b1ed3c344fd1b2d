-- The bridge's ending MRR of a month is the sum of the workspaces' MRR on its last day.
with

daily as (

    select
        cast({{ dbt.date_trunc('month', 'mrr_date') }} as date) as month_start,
        mrr_date,
        mrr_cents
    from {{ ref('fct_workspace_mrr_daily') }}

),

last_day as (

    select
        month_start,
        max(mrr_date) as last_date
    from daily
    group by month_start

),

expected as (

    select
        daily.month_start,
        sum(daily.mrr_cents) as ending_mrr_cents
    from daily
    inner join last_day
        on
            daily.month_start = last_day.month_start
            and daily.mrr_date = last_day.last_date
    group by daily.month_start

)

select
    expected.month_start,
    expected.ending_mrr_cents as expected_ending_mrr_cents,
    bridge.ending_mrr_cents
from expected
left join {{ ref('rpt_mrr_movements_monthly') }} as bridge
    on expected.month_start = bridge.month_start
where bridge.ending_mrr_cents is null or bridge.ending_mrr_cents != expected.ending_mrr_cents
