{#-
    The "this run" side of the incremental experiment models (int_experiment_exposures,
    int_experiment_metric_events, int_experiment_user_metrics): which users a run changes.
    Each model recomputes those users from their full history and replaces their rows
    (delete+insert on user_id, or on event_id for the metric events), so a user's rows are
    the same whichever run last touched them.
-#}

{#-
    A select (no CTEs): the experiment_exposure events (int_experiment_exposure_events) with
    their stitched user: the exposure's user_id, else the user its device was identified as
    (int_identity_map). Exposures of devices never identified are left out.
-#}
{% macro stitched_exposure_events() -%}
    select
        coalesce(exposures.user_id, identity_map.user_id) as user_id,
        exposures.event_id,
        exposures.exposed_at as event_at,
        exposures.experiment_key,
        exposures.variant,
        exposures.platform,
        exposures.load_id
    from {{ ref('int_experiment_exposure_events') }} as exposures
    left join {{ ref('int_identity_map') }} as identity_map
        on
            exposures.user_id is null
            and exposures.anonymous_id = identity_map.anonymous_id
    where coalesce(exposures.user_id, identity_map.user_id) is not null
{%- endmacro %}


{#-
    A select (no CTEs) of user_id: the users whose devices were identified by this run's
    loads (int_anonymous_ids.identified_load_id), i.e. whose stitched history gained the
    device's anonymous events.
-#}
{% macro users_identified_this_run() -%}
    select anonymous_ids.user_id
    from {{ ref('int_anonymous_ids') }} as anonymous_ids
    where
        anonymous_ids.user_id is not null
        and {{ in_run_limits('anonymous_ids.identified_load_id') }}
{%- endmacro %}


{#-
    A select of user_id: the users whose experiment exposures a run may change: the stitched
    users of the exposure events of this run's loads (new, late or winning duplicate
    arrivals) and the users identified by this run (their devices' anonymous exposures and
    events now count for them). Only for incremental runs.
-#}
{% macro experiment_users_this_run() -%}
    select stitched_exposures.user_id
    from ({{ stitched_exposure_events() }}) as stitched_exposures
    where {{ in_run_limits('stitched_exposures.load_id') }}

    union

    {{ users_identified_this_run() }}
{%- endmacro %}


{#-
    Post-hook of int_experiment_user_metrics: delete the rows of (experiment, user) pairs that
    are multi-variant now. A late exposure in a second variant takes a user out of the
    analysis, and delete+insert replaces only the users the new rows name, so their old rows
    are removed here. Deletes nothing on a full build.
-#}
{% macro delete_multi_variant_rows() -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    delete from {{ this }}
    using {{ ref('int_experiment_exposures') }} as exposures
    where
        exposures.is_multi_variant
        and exposures.experiment_key = {{ this }}.experiment_key
        and exposures.user_id = {{ this }}.user_id
{%- endmacro %}
