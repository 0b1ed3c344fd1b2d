-- Every month: starting MRR + new + reactivation + expansion + contraction + churn = ending
-- MRR, and each month starts where the previous one ended.
with

months as (

    select
        rpt_mrr_movements_monthly.*,
        lag(ending_mrr_cents) over (order by month_start) as previous_ending_mrr_cents
    from {{ ref('rpt_mrr_movements_monthly') }}

)

select *
from months
where
    starting_mrr_cents + new_mrr_cents + reactivation_mrr_cents + expansion_mrr_cents
    + contraction_mrr_cents + churned_mrr_cents != ending_mrr_cents
    or starting_mrr_cents != coalesce(previous_ending_mrr_cents, 0)
    or ending_arr_cents != 12 * ending_mrr_cents
