-- Every user active on the day is active in its week, every weekly user in its 28 days.
select
    activity_date,
    dau,
    wau,
    mau,
    stickiness_dau_mau
from {{ ref('rpt_active_users_daily') }}
where
    dau > wau
    or wau > mau
    or stickiness_dau_mau < 0
    or stickiness_dau_mau > 1
