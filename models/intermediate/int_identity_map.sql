{#-
    Identity stitching: which user a device/browser (anonymous_id) belongs to.

    An anonymous_id belongs to the user_id of the first event that carried both (normally the
    signup or login on that device). A shared device later used by another user keeps its
    first user.
-#}
with

identified_events as (

    select
        anonymous_id,
        user_id,
        event_at,
        event_id
    from {{ ref('fct_events') }}
    where
        anonymous_id is not null
        and user_id is not null

),

ranked as (

    select
        anonymous_id,
        user_id,
        event_at,
        row_number() over (
            partition by anonymous_id
            order by event_at, event_id
        ) as identification_rank
    from identified_events

),

final as (

    select
        anonymous_id,
        user_id,
        event_at as identified_at
    from ranked
    where identification_rank = 1

)

select * from final
