{{ config(tags=['reconciliation']) }}
{#-
    fct_events must hold exactly what a full refresh would build: for every event_id in
    stg_events its earliest arrival (macros/utils/event_precedence.sql), and nothing else.
    Guards the incremental logic after every build; a failure after a raw reload that deleted
    rows means `dbt build --full-refresh -s fct_events+` is needed.
    Scans all of stg_events: exclude it with `--exclude tag:reconciliation` if that gets slow.
-#}
with

expected as (

    select
        event_id,
        batch_date,
        source_file,
        source_line,
        load_id
    from (
        select
            stg.*,
            {{ event_precedence_rank() }} as arrival_rank
        from {{ ref('stg_events') }} as stg
    ) as ranked
    where arrival_rank = 1

),

actual as (

    select
        event_id,
        batch_date,
        source_file,
        source_line,
        load_id
    from {{ ref('fct_events') }}

),

missing_from_fct as (

    select * from expected
    except
    select * from actual

),

unexpected_in_fct as (

    select * from actual
    except
    select * from expected

)

select
    'missing_from_fct_events' as problem,
    missing_from_fct.*
from missing_from_fct

union all

select
    'unexpected_in_fct_events' as problem,
    unexpected_in_fct.*
from unexpected_in_fct
