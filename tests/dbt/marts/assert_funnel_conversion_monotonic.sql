-- A step can never be reached by more users than the step before it, and step 1 is the start.
with

steps as (

    select
        rpt_funnel_conversion.*,
        lag(reached_users) over (
            partition by funnel_key, funnel_start_date order by step_number
        ) as previous_reached_users
    from {{ ref('rpt_funnel_conversion') }}

)

select *
from steps
where
    reached_users > previous_reached_users
    or (step_number = 1 and (reached_users != started_users or reached_users = 0))
    or conversion_from_start > 1
