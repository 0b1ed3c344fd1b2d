{#-
    One row per experiment and user exposed to it within the experiment's dates
    (seeds/experiments.csv; start_date 00:00 UTC inclusive .. end_date + 1 day exclusive).

    Exposures come from the experiment_exposures log table (int_experiment_exposure_events,
    deduplicated across batches). Users are the stitched user: the exposure's user_id, else
    the user its device was later identified as (int_identity_map), so an anonymous first
    exposure counts for the user who logs in later on that device. Exposures of devices never
    identified, and exposures naming a variant the seed does not know, are left out here
    and counted in int_experiment_health.

    first_platform is the platform of the user's first exposure (the `platform` slice of
    rpt_experiment_slice_results).

    A user logged in more than one variant is kept with is_multi_variant = true and no
    variant: the analysis excludes them (and counts them).

    Incremental (delete+insert on user_id): the users of this run's exposure events and the
    users identified by this run (experiment_users_this_run) are recomputed from all their
    exposure events; nobody else is read. Late and duplicate exposures thus give the rows of
    a full build. A change to seeds/experiments.csv needs a full refresh.
-#}
{{
    config(
        materialized='incremental',
        unique_key='user_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}
-- depends_on: {{ ref('int_anonymous_ids') }}
{%- do get_run_limits() %}

with

experiments as (

    select
        experiment_key,
        variant,
        start_date,
        end_date
    from {{ ref('experiments') }}

),

exposure_events as (

    select
        stitched_exposures.user_id,
        stitched_exposures.event_id,
        stitched_exposures.event_at,
        stitched_exposures.experiment_key,
        stitched_exposures.variant,
        stitched_exposures.platform
    from ({{ stitched_exposure_events() }}) as stitched_exposures
    {% if is_incremental() %}
        where stitched_exposures.user_id in ({{ experiment_users_this_run() }})
    {% endif %}

),

in_experiment as (

    select
        exposure_events.experiment_key,
        exposure_events.user_id,
        exposure_events.variant,
        exposure_events.event_at,
        exposure_events.platform,
        row_number() over (
            partition by exposure_events.experiment_key, exposure_events.user_id
            order by exposure_events.event_at, exposure_events.event_id
        ) as exposure_rank
    from exposure_events
    inner join experiments
        on
            exposure_events.experiment_key = experiments.experiment_key
            and exposure_events.variant = experiments.variant
    where
        exposure_events.event_at >= cast(experiments.start_date as {{ dbt.type_timestamp() }})
        and (
            experiments.end_date is null
            or exposure_events.event_at
            < cast({{ dbt.dateadd('day', 1, 'experiments.end_date') }} as {{ dbt.type_timestamp() }})
        )

),

per_user as (

    select
        experiment_key,
        user_id,
        min(event_at) as first_exposure_at,
        count(*) as exposure_count,
        count(distinct variant) as variant_count,
        min(variant) as first_variant_name,
        max(case when exposure_rank = 1 then platform end) as first_platform
    from in_experiment
    group by experiment_key, user_id

),

final as (

    select
        experiment_key,
        user_id,
        case when variant_count = 1 then first_variant_name end as variant,
        first_exposure_at,
        exposure_count,
        variant_count,
        variant_count > 1 as is_multi_variant,
        first_platform
    from per_user

)

select * from final
