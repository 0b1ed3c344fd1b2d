{#-
    A complete select for the event-grain subsets of fct_events (int_attribution_events,
    int_subscription_events; incremental, delete+insert on event_id): `columns` (SQL
    expressions with their aliases) of the events matching `where`, read from this run's
    rows on an incremental run (events_this_run) and from all of fct_events on a full build.
    fct_events rows only appear or get replaced by an earlier arrival, so upserting them by
    event_id gives the full-refresh rows.
-#}
{% macro event_subset(columns, where) -%}
    {%- set events = events_this_run() -%}
    select
        {{ columns | join(',\n        ') }}
    from {{ events }} as events
    where {{ where }}
{%- endmacro %}


{#- The three utm_* properties of a JSON `properties` column, as select-list items. -#}
{% macro utm_columns(properties='properties') -%}
    {{ json_text(properties, 'utm_source') }} as utm_source,
    {{ json_text(properties, 'utm_medium') }} as utm_medium,
    {{ json_text(properties, 'utm_campaign') }} as utm_campaign
{%- endmacro %}
