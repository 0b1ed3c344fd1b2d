with

source as (

    select * from {{ source('log_tables', 'experiment_exposures') }}

),

renamed as (

    select
        event_id,
        cast(exposed_at as {{ dbt.type_timestamp() }}) as exposed_at,
        user_id,
        anonymous_id,
        experiment_key,
        variant,
        platform,
        cast(batch_date as date) as batch_date,
        source_file,
        cast(source_line as {{ dbt.type_bigint() }}) as source_line,
        cast(_load_id as {{ dbt.type_bigint() }}) as load_id

    from source

)

select * from renamed
