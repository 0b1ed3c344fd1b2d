{#-
    Volume anomalies: for every event name and UTC day, the on-time count compared with the
    event's own history (day-of-week seasonality, local trend, robust MAD scale; see the
    volume_anomaly_scored macro for the model). Days up to the latest published batch date.

    Settings (vars, defaults in dbt_project.yml): anomaly_sensitivity 3.0, anomaly_min_history_weeks 3,
    anomaly_history_weeks 8, anomaly_direction 'both', anomaly_min_expected 10,
    anomaly_min_relative_change 0.3.

    A table rebuilt from int_event_volume_daily (event names x days: small); counting the
    events themselves is incremental there.
-#}
with

volume as (

    select
        event_name,
        event_date,
        event_count,
        max_batch_date
    from {{ ref('int_event_volume_daily') }}

),

published as (

    select max(max_batch_date) as last_batch_date
    from volume

),

va_input as (

    select
        volume.event_name as series_name,
        volume.event_date as metric_date,
        volume.event_count as observed
    from volume
    cross join published
    where volume.event_date <= published.last_batch_date

),

scored as (

    {{ volume_anomaly_scored(
        'va_input',
        sensitivity=var('anomaly_sensitivity'),
        min_history_weeks=var('anomaly_min_history_weeks'),
        history_weeks=var('anomaly_history_weeks'),
        direction=var('anomaly_direction'),
        min_expected=var('anomaly_min_expected'),
        min_relative_change=var('anomaly_min_relative_change'),
    ) }}

),

final as (

    select
        series_name as event_name,
        metric_date as event_date,
        cast(observed as {{ dbt.type_bigint() }}) as observed,
        expected,
        lower_bound,
        upper_bound,
        score,
        is_anomaly,
        direction,
        history_weeks
    from scored

)

select * from final
