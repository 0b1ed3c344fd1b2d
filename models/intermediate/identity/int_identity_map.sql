{#-
    Identity stitching: which user a device/browser (anonymous_id) belongs to.

    An anonymous_id belongs to the user_id of the first event that carried both (normally the
    signup or login on that device). A shared device later used by another user keeps its
    first user. Kept incrementally in int_anonymous_ids; this is its identified part.
-#}
with

anonymous_ids as (

    select * from {{ ref('int_anonymous_ids') }}

),

final as (

    select
        anonymous_id,
        user_id,
        identified_at
    from anonymous_ids
    where user_id is not null

)

select * from final
