-- Each funnel's steps are numbered 1..n without gaps and share one positive window.
select
    funnel_key,
    count(*) as steps,
    min(step_number) as first_step,
    max(step_number) as last_step,
    count(distinct conversion_window_hours) as windows
from {{ ref('funnel_steps') }}
group by funnel_key
having
    min(step_number) != 1
    or max(step_number) != count(*)
    or count(distinct step_number) != count(*)
    or count(distinct conversion_window_hours) != 1
    or min(conversion_window_hours) <= 0
    or max(step_number) > {{ var('funnel_max_steps') }}
