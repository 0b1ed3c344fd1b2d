{#-
    The volume_anomaly generic test applied to fct_events (events per event_name and UTC
    day of event_at, late arrivals included) for the latest day, or for the var monitor_date.
    A warning: rpt_event_volume_anomalies and `pulse monitor` are what alert.
-#}
{{ config(severity='warn', tags=['pulse_monitor_volume']) }}

{{ test_volume_anomaly(model=ref('fct_events'), column_name='event_at', group_by='event_name') }}
