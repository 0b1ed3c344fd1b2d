with

source as (

    select * from {{ source('log_tables', 'perf_timings') }}

),

renamed as (

    select
        event_id,
        cast(event_at as {{ dbt.type_timestamp() }}) as timed_at,
        user_id,
        platform,
        app_version,
        action as action_name,
        cast(duration_ms as {{ dbt.type_float() }}) as duration_ms,
        cast(batch_date as date) as batch_date,
        source_file,
        cast(source_line as {{ dbt.type_bigint() }}) as source_line,
        cast(_load_id as {{ dbt.type_bigint() }}) as load_id

    from source

)

select * from renamed
