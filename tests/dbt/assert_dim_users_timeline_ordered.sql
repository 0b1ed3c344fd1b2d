-- A user's milestones happen in order: first seen <= first identified / signup <= last seen.
select
    user_id,
    first_seen_at,
    first_identified_at,
    signed_up_at,
    last_seen_at
from {{ ref('dim_users') }}
where
    first_seen_at > first_identified_at
    or first_identified_at > last_seen_at
    or first_seen_at > signed_up_at
    or signed_up_at > last_seen_at
