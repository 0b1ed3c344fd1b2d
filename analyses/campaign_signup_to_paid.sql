-- Which campaigns bring signups that pay: last-touch signups and first paid conversions
-- per campaign over all history, with the paid share. Linear credits show the assist value.
select
    channel,
    utm_campaign,
    sum(case when conversion_type = 'signup' then last_touch_conversions else 0 end) as signups_last_touch,
    sum(case when conversion_type = 'first_paid' then last_touch_conversions else 0 end) as paid_last_touch,
    sum(case when conversion_type = 'signup' then linear_conversions else 0 end) as signups_linear,
    sum(case when conversion_type = 'first_paid' then linear_conversions else 0 end) as paid_linear,
    cast(sum(case when conversion_type = 'first_paid' then last_touch_conversions else 0 end) as double precision)
    / nullif(sum(case when conversion_type = 'signup' then last_touch_conversions else 0 end), 0) as paid_per_signup
from {{ ref('rpt_campaign_attribution_daily') }}
group by channel, utm_campaign
order by signups_last_touch desc, utm_campaign asc
