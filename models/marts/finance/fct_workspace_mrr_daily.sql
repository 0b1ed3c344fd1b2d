{#-
    MRR per workspace and UTC day: the mrr_cents of the workspace's last subscription event
    on or before the end of that day (events of one day in event_at, event_id order). One
    row per workspace from the day of its first subscription event to the last day with
    activity data (int_user_activity_daily), canceled days included with 0.
-#}
with

subscription_events as (

    select * from {{ ref('int_subscription_events') }}
    where workspace_id is not null

),

last_event_of_day as (

    select
        workspace_id,
        event_date,
        event_name,
        plan,
        seats,
        mrr_cents,
        currency
    from (
        select
            subscription_events.*,
            row_number() over (
                partition by workspace_id, event_date
                order by event_at desc, event_id desc
            ) as day_rank
        from subscription_events
    ) as ranked
    where day_rank = 1

),

changes as (

    select
        last_event_of_day.*,
        lead(event_date) over (partition by workspace_id order by event_date) as next_change_date
    from last_event_of_day

),

last_activity as (

    select max(activity_date) as last_date
    from {{ ref('int_user_activity_daily') }}

),

bounds as (

    select
        min(subscription_events.event_date) as first_date,
        max(last_activity.last_date) as last_date
    from subscription_events
    cross join last_activity

),

spine as (

    {{ day_spine('bounds', 'bounds.first_date', 'bounds.last_date') }}

),

final as (

    select
        changes.workspace_id,
        spine.spine_date as mrr_date,
        changes.plan,
        changes.seats,
        coalesce(changes.mrr_cents, 0) as mrr_cents,
        changes.currency,
        coalesce(changes.mrr_cents, 0) > 0 as is_paying,
        changes.event_date = spine.spine_date as has_subscription_event
    from changes
    inner join spine
        on
            changes.event_date <= spine.spine_date
            and (changes.next_change_date is null or changes.next_change_date > spine.spine_date)

)

select * from final
