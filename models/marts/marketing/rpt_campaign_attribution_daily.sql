{#-
    Signups and first paid conversions attributed to campaigns, per conversion day and
    campaign (utm_source / utm_medium / utm_campaign), by three models:

    - first touch: all credit to the earliest touch,
    - last touch: all credit to the latest touch,
    - linear: equal credit to every touch.

    Touches are the stitched user's events carrying any utm_* property (anonymous pre-signup
    page views of their devices included), at or before the conversion and at most
    attribution_window_days (default 30) before it. A conversion without touches is credited
    to the '(direct)' campaign. Conversions: the user's first signup and the first
    subscription_started the user sent (first paid). Channels come from the seed
    channel_groupings (most specific match wins; '*' matches anything).
    Every conversion gives exactly 1 credit per model, so each model's column sums to the
    number of conversions.

    is_lookback_complete: the conversion day's whole attribution window lies within the
    data's coverage (conversion_date - attribution_window_days >= the first event date in
    int_data_coverage); before that, touches older than the data are missing and first
    touch and '(direct)' are overstated.
-#}
{%- set window_days = var('attribution_window_days') | int -%}

with

attribution_events as (

    select * from {{ ref('int_attribution_events') }}

),

identity_map as (

    select * from {{ ref('int_identity_map') }}

),

channel_groupings as (

    select * from {{ ref('channel_groupings') }}

),

stitched as (

    select
        attribution_events.event_id,
        attribution_events.event_name,
        attribution_events.event_at,
        coalesce(attribution_events.user_id, identity_map.user_id) as user_id,
        attribution_events.utm_source,
        attribution_events.utm_medium,
        attribution_events.utm_campaign,
        attribution_events.is_touch,
        attribution_events.is_conversion
    from attribution_events
    left join identity_map
        on
            attribution_events.user_id is null
            and attribution_events.anonymous_id = identity_map.anonymous_id
    where coalesce(attribution_events.user_id, identity_map.user_id) is not null

),

conversions as (

    select
        user_id,
        event_id as conversion_event_id,
        event_at as converted_at,
        case when event_name = 'signup' then 'signup' else 'first_paid' end as conversion_type
    from (
        select
            stitched.*,
            row_number() over (partition by user_id, event_name order by event_at, event_id) as conversion_rank
        from stitched
        where is_conversion
    ) as ranked
    where conversion_rank = 1

),

touches as (

    select
        conversions.conversion_event_id,
        stitched.utm_source,
        stitched.utm_medium,
        stitched.utm_campaign,
        row_number() over (
            partition by conversions.conversion_event_id
            order by stitched.event_at asc, stitched.event_id asc
        ) as touch_rank_from_first,
        row_number() over (
            partition by conversions.conversion_event_id
            order by stitched.event_at desc, stitched.event_id desc
        ) as touch_rank_from_last,
        count(*) over (partition by conversions.conversion_event_id) as touch_count
    from conversions
    inner join stitched
        on
            conversions.user_id = stitched.user_id
            and stitched.is_touch
            and conversions.converted_at >= stitched.event_at
            and stitched.event_at >= {{ dbt.dateadd('day', -window_days, 'conversions.converted_at') }}

),

credits as (

    select
        conversions.conversion_event_id,
        conversions.conversion_type,
        cast(conversions.converted_at as date) as conversion_date,
        case when touches.conversion_event_id is null then '(direct)' else coalesce(touches.utm_source, '(none)') end
            as utm_source,
        case when touches.conversion_event_id is null then '(none)' else coalesce(touches.utm_medium, '(none)') end
            as utm_medium,
        case when touches.conversion_event_id is null then '(direct)' else coalesce(touches.utm_campaign, '(none)') end
            as utm_campaign,
        case when touches.conversion_event_id is null or touches.touch_rank_from_first = 1 then 1 else 0 end
            as first_touch_credit,
        case when touches.conversion_event_id is null or touches.touch_rank_from_last = 1 then 1 else 0 end
            as last_touch_credit,
        case
            when touches.conversion_event_id is null then 1.0
            else 1.0 / touches.touch_count
        end as linear_credit,
        touches.conversion_event_id is not null as is_touched,
        coalesce(
            cast(conversions.converted_at as date) >= (
                select cast({{ dbt.dateadd('day', window_days, 'coverage.first_event_date') }} as date)
                from {{ ref('int_data_coverage') }} as coverage
            ),
            false
        ) as is_lookback_complete
    from conversions
    left join touches
        on conversions.conversion_event_id = touches.conversion_event_id

),

channels as (

    select
        credits.conversion_event_id,
        credits.utm_source,
        credits.utm_medium,
        channel_groupings.channel,
        row_number() over (
            partition by credits.conversion_event_id, credits.utm_source, credits.utm_medium
            order by
                case when channel_groupings.utm_medium = '*' then 1 else 0 end,
                case when channel_groupings.utm_source = '*' then 1 else 0 end,
                channel_groupings.channel
        ) as match_rank
    from credits
    inner join channel_groupings
        on
            (credits.utm_medium = channel_groupings.utm_medium or channel_groupings.utm_medium = '*')
            and (credits.utm_source = channel_groupings.utm_source or channel_groupings.utm_source = '*')
    where credits.is_touched and credits.utm_medium != '(none)'

),

final as (

    select
        credits.conversion_date,
        credits.conversion_type,
        credits.utm_source,
        credits.utm_medium,
        credits.utm_campaign,
        case
            when not max(case when credits.is_touched then 1 else 0 end) = 1 then 'Direct'
            else coalesce(max(channels.channel), 'Untagged')
        end as channel,
        cast(sum(credits.first_touch_credit) as {{ dbt.type_bigint() }}) as first_touch_conversions,
        cast(sum(credits.last_touch_credit) as {{ dbt.type_bigint() }}) as last_touch_conversions,
        -- a float sum's last bits depend on the order threads add in: round so a rebuild
        -- gives the same number (credits are k/n, far coarser than 1e-9)
        cast(round(cast(sum(credits.linear_credit) as decimal(38, 12)), 9) as double precision)
            as linear_conversions,
        max(case when credits.is_lookback_complete then 1 else 0 end) = 1 as is_lookback_complete
    from credits
    left join channels
        on
            credits.conversion_event_id = channels.conversion_event_id
            and credits.utm_source = channels.utm_source
            and credits.utm_medium = channels.utm_medium
            and channels.match_rank = 1
    group by
        credits.conversion_date,
        credits.conversion_type,
        credits.utm_source,
        credits.utm_medium,
        credits.utm_campaign

)

select * from final
