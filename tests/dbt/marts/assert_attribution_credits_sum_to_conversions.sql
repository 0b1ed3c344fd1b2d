-- Each attribution model hands out exactly one conversion per conversion: per day and type,
-- first-touch, last-touch and linear credits all equal the number of conversions.
with

per_day as (

    select
        conversion_date,
        conversion_type,
        sum(first_touch_conversions) as first_touch,
        sum(last_touch_conversions) as last_touch,
        sum(linear_conversions) as linear_total
    from {{ ref('rpt_campaign_attribution_daily') }}
    group by conversion_date, conversion_type

)

select *
from per_day
where
    first_touch != last_touch
    or abs(linear_total - first_touch) > 0.000001
