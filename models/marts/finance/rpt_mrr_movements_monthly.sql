{#-
    Monthly MRR bridge (UTC calendar months): starting MRR + new + reactivation + expansion
    + contraction + churn = ending MRR, for every month (tests/dbt/marts checks it).

    Per workspace, the month's MRR change compares the MRR at the end of the previous month
    with the MRR at the end of this month (fct_workspace_mrr_daily):
    - new: 0 -> positive, never paid before,
    - reactivation: 0 -> positive, paid at some earlier month end or day,
    - expansion / contraction: positive -> higher / lower positive,
    - churn: positive -> 0 (negative amount).
    Changes undone within the month (an upgrade then a downgrade back) net out. Amounts in
    cents of the subscription currency (the simulator bills in USD only).

    is_month_complete: the whole month lies within the data's coverage (int_data_coverage).
    A month cut by the start of the data counts workspaces already paying as new; one cut
    by its end has its ending MRR from the last day with data, not the month's last day.
-#}
with

daily as (

    select
        workspace_id,
        mrr_date,
        mrr_cents,
        cast({{ dbt.date_trunc('month', 'mrr_date') }} as date) as month_start
    from {{ ref('fct_workspace_mrr_daily') }}

),

month_end as (

    select
        workspace_id,
        month_start,
        mrr_cents as ending_mrr_cents
    from (
        select
            daily.*,
            row_number() over (partition by workspace_id, month_start order by mrr_date desc) as day_rank
        from daily
    ) as ranked
    where day_rank = 1

),

first_paid as (

    select
        workspace_id,
        min(mrr_date) as first_paid_date
    from daily
    where mrr_cents > 0
    group by workspace_id

),

workspace_months as (

    select
        month_end.workspace_id,
        month_end.month_start,
        coalesce(
            lag(month_end.ending_mrr_cents) over (partition by month_end.workspace_id order by month_end.month_start),
            0
        ) as starting_mrr_cents,
        month_end.ending_mrr_cents,
        first_paid.first_paid_date < month_end.month_start as had_paid_before
    from month_end
    left join first_paid
        on month_end.workspace_id = first_paid.workspace_id

),

classified as (

    select
        workspace_months.*,
        case
            when starting_mrr_cents = 0 and ending_mrr_cents > 0 and not coalesce(had_paid_before, false)
                then ending_mrr_cents
            else 0
        end as new_mrr_cents,
        case
            when starting_mrr_cents = 0 and ending_mrr_cents > 0 and coalesce(had_paid_before, false)
                then ending_mrr_cents
            else 0
        end as reactivation_mrr_cents,
        case
            when starting_mrr_cents > 0 and ending_mrr_cents > starting_mrr_cents
                then ending_mrr_cents - starting_mrr_cents
            else 0
        end as expansion_mrr_cents,
        case
            when starting_mrr_cents > 0 and ending_mrr_cents > 0 and ending_mrr_cents < starting_mrr_cents
                then ending_mrr_cents - starting_mrr_cents
            else 0
        end as contraction_mrr_cents,
        case
            when starting_mrr_cents > 0 and ending_mrr_cents = 0 then -starting_mrr_cents
            else 0
        end as churned_mrr_cents
    from workspace_months

),

months as (

    select distinct month_start from daily

),

coverage as (

    select
        first_event_date,
        last_event_date
    from {{ ref('int_data_coverage') }}

),

final as (

    select
        months.month_start,
        cast(coalesce(sum(classified.starting_mrr_cents), 0) as {{ dbt.type_bigint() }}) as starting_mrr_cents,
        cast(coalesce(sum(classified.new_mrr_cents), 0) as {{ dbt.type_bigint() }}) as new_mrr_cents,
        cast(coalesce(sum(classified.reactivation_mrr_cents), 0) as {{ dbt.type_bigint() }})
            as reactivation_mrr_cents,
        cast(coalesce(sum(classified.expansion_mrr_cents), 0) as {{ dbt.type_bigint() }}) as expansion_mrr_cents,
        cast(coalesce(sum(classified.contraction_mrr_cents), 0) as {{ dbt.type_bigint() }})
            as contraction_mrr_cents,
        cast(coalesce(sum(classified.churned_mrr_cents), 0) as {{ dbt.type_bigint() }}) as churned_mrr_cents,
        cast(coalesce(sum(classified.ending_mrr_cents), 0) as {{ dbt.type_bigint() }}) as ending_mrr_cents,
        cast(coalesce(sum(classified.ending_mrr_cents), 0) * 12 as {{ dbt.type_bigint() }}) as ending_arr_cents,
        cast(count(case when classified.ending_mrr_cents > 0 then 1 end) as {{ dbt.type_bigint() }})
            as paying_workspaces,
        coalesce(
            max(
                case
                    when months.month_start >= coverage.first_event_date
                        and cast({{ dbt.dateadd('month', 1, 'months.month_start') }} as date)
                        <= cast({{ dbt.dateadd('day', 1, 'coverage.last_event_date') }} as date)
                        then 1
                    else 0
                end
            ) = 1,
            false
        ) as is_month_complete
    from months
    cross join coverage
    left join classified
        on months.month_start = classified.month_start
    group by months.month_start

)

select * from final
