{#-
    Which copy of an event wins when the same event_id arrives more than once.

    The earliest arrival wins: smallest batch_date, then source_file, then source_line (the
    ingest job's own rule inside one batch). load_id descending only breaks exact ties, i.e.
    the same raw row loaded twice (a batch reloaded without deleting the old copy), in
    favour of the newest load.

    Used by deduplicated_arrivals below (fct_events and the log-table facts: full refresh and
    incremental runs rank the same way, which is what
    makes both give the same table) and by the fct_events reconciliation test.
-#}
{% macro event_precedence_order(relation_alias=none) -%}
    {%- set p = (relation_alias ~ '.') if relation_alias else '' -%}
    {{ p }}batch_date, {{ p }}source_file, {{ p }}source_line, {{ p }}load_id desc
{%- endmacro %}

{% macro event_precedence_rank(relation_alias=none) -%}
    {%- set p = (relation_alias ~ '.') if relation_alias else '' -%}
    row_number() over (partition by {{ p }}event_id order by {{ event_precedence_order(relation_alias) }})
{%- endmacro %}


{#-
    A complete select: one row per event_id of `arrivals` (a staging relation with event_id,
    batch_date, source_file, source_line, load_id and the listed `columns`), its earliest
    arrival by event_precedence_order. The one deduplication across batches, used by
    fct_events and by the log-table facts (int_perf_timings, int_experiment_exposure_events).

    Full build: every staged row up to this run's upper load is ranked per event_id.
    Incremental (the model is delete+insert on event_id): only the rows of this run's loads
    are ranked, together with the rows the model already stores for the same event_ids, and
    the winner replaces what it held. A retry arriving later loses to the stored row (which
    is re-emitted unchanged); a copy from a late batch with an earlier batch_date wins, so
    both ways give the same table. The stored rows are looked up only from
    min(`timestamp_column` of the new rows) - var('lookback_days') on (retries resend the same
    ts); raw rows rewritten in place or a duplicate whose ts moved back further need a full
    refresh.
-#}
{% macro deduplicated_arrivals(arrivals, columns, timestamp_column) -%}
    {%- set limits = get_run_limits() -%}
    {%- set lineage = ['batch_date', 'source_file', 'source_line', 'load_id'] -%}
    {%- set all_columns = ['event_id'] + columns + lineage -%}
    with

    arrived as (

        select {{ all_columns | join(', ') }}
        from {{ arrivals }}
        where
            load_id <= {{ limits.upper }}
            {% if is_incremental() -%}
            and load_id > {{ limits.lower }}
            {%- endif %}

    ),

    {% if is_incremental() -%}
    lookup_window as (

        select
            {{ dbt.dateadd('day', (var('lookback_days') | int) * -1, 'min(' ~ timestamp_column ~ ')') }}
            as min_timestamp
        from arrived

    ),

    stored as (

        select
            {%- for column in all_columns %}
            stored_rows.{{ column }}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ this }} as stored_rows
        where
            stored_rows.{{ timestamp_column }} >= (select lookup_window.min_timestamp from lookup_window)
            and stored_rows.event_id in (select arrived.event_id from arrived)

    ),

    {% endif -%}
    candidates as (

        select * from arrived
        {% if is_incremental() -%}
        union all
        select * from stored
        {%- endif %}

    ),

    ranked as (

        select
            candidates.*,
            {{ event_precedence_rank() }} as arrival_rank
        from candidates

    )

    select {{ all_columns | join(', ') }}
    from ranked
    where arrival_rank = 1
{%- endmacro %}
