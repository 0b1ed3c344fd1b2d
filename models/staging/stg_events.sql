with

source as (

    select * from {{ source('raw', 'events') }}

),

renamed as (

    select
        -- event
        event_id,
        event_name,
        cast(event_at as {{ dbt.type_timestamp() }}) as event_at,

        -- who, where
        user_id,
        anonymous_id,
        workspace_id,
        client_session_id,
        platform,
        app_version,
        country,

        -- payload
        properties,
        cast(ts_has_offset as {{ dbt.type_boolean() }}) as ts_has_offset,

        -- lineage
        cast(batch_date as date) as batch_date,
        source_file,
        cast(source_line as {{ dbt.type_bigint() }}) as source_line,
        cast(_load_id as {{ dbt.type_bigint() }}) as load_id

    from source

)

select * from renamed
