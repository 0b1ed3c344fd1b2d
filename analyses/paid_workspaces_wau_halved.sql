-- Workspaces on a paid plan whose weekly active users fell by half or more: the last 7 days
-- (ending on the last day with data) against the 7 days before. Active = a user with an
-- activity event carrying the workspace_id. Churn-risk list for customer success.
with

bounds as (

    select max(activity_date) as last_date
    from {{ ref('int_user_activity_daily') }}

),

workspace_activity as (

    select distinct
        events.workspace_id,
        events.user_id,
        case
            when events.event_date > cast({{ dbt.dateadd('day', -7, 'bounds.last_date') }} as date) then 'this_week'
            else 'last_week'
        end as week_label
    from {{ ref('fct_events') }} as events
    cross join bounds
    where
        events.workspace_id is not null
        and events.user_id is not null
        and events.event_date > cast({{ dbt.dateadd('day', -14, 'bounds.last_date') }} as date)
        and events.event_date <= bounds.last_date

),

weekly as (

    select
        workspace_id,
        count(distinct case when week_label = 'last_week' then user_id end) as wau_previous,
        count(distinct case when week_label = 'this_week' then user_id end) as wau_current
    from workspace_activity
    group by workspace_id

),

paid as (

    select
        mrr.workspace_id,
        mrr.plan,
        mrr.mrr_cents
    from {{ ref('fct_workspace_mrr_daily') }} as mrr
    cross join bounds
    where
        mrr.mrr_date = bounds.last_date
        and mrr.is_paying

)

select
    paid.workspace_id,
    paid.plan,
    paid.mrr_cents,
    weekly.wau_previous,
    weekly.wau_current,
    cast(weekly.wau_current as double precision) / weekly.wau_previous as wau_ratio
from paid
inner join weekly
    on paid.workspace_id = weekly.workspace_id
where
    weekly.wau_previous > 0
    and weekly.wau_current * 2 <= weekly.wau_previous
order by paid.mrr_cents desc, paid.workspace_id asc
