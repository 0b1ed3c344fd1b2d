-- Every signup of dim_users is attributed once (by first touch) on its signup date.
with

signups as (

    select
        signup_date,
        count(*) as signups
    from {{ ref('dim_users') }}
    where signup_date is not null
    group by signup_date

),

attributed as (

    select
        conversion_date,
        sum(first_touch_conversions) as signups
    from {{ ref('rpt_campaign_attribution_daily') }}
    where conversion_type = 'signup'
    group by conversion_date

)

select
    coalesce(signups.signup_date, attributed.conversion_date) as signup_date,
    signups.signups as signups_in_dim_users,
    attributed.signups as signups_attributed
from signups
full outer join attributed
    on signups.signup_date = attributed.conversion_date
where signups.signups is null or attributed.signups is null or signups.signups != attributed.signups
