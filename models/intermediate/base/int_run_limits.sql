{#-
    The run limits of this dbt run, one row, rebuilt first in every run (after Snowplow's
    base_new_event_limits): the loads an incremental run reads are
    lower_load_id < load_id <= upper_load_id.

    - upper_load_id: the newest load staged, over stg_events and the log-table staging
      models. When a model that reads staging rows (fct_events, the log-table facts) is not
      selected in this run but feeds a selected one, no higher than what it has processed,
      so no downstream model records loads its input does not hold yet.
    - lower_load_id: the smallest processed_load_id in int_incremental_manifest over the
      incremental models selected in this run (all of them when none is); a model without a
      manifest row counts as 0. A model that failed in an earlier run thus pulls the lower
      limit back to what it has processed.
-#}
{{ config(materialized='table') }}

{%- set staging_models = ['stg_events', 'stg_perf_timings', 'stg_experiment_exposures'] -%}
{%- set selected = run_limit_models(selected_only=true) -%}
{%- set expected = selected if selected else run_limit_models() -%}
{#-
    Incremental models that read staging rows directly, are not selected in this run, but
    feed a selected model: what they have processed caps the upper limit.
-#}
{%- set lagging_readers = [] -%}
{%- if execute and selected -%}
    {%- set ancestors = [] -%}
    {%- set queue = [] -%}
    {%- for node in graph.nodes.values() if node.unique_id in selected_resources -%}
        {%- do queue.append(node.unique_id) -%}
    {%- endfor -%}
    {%- for unique_id in queue -%}
        {%- set node = graph.nodes.get(unique_id) -%}
        {%- for parent in (node.depends_on.nodes if node else []) if parent not in ancestors -%}
            {%- do ancestors.append(parent) -%}
            {%- do queue.append(parent) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for unique_id in ancestors -%}
        {%- set node = graph.nodes.get(unique_id) -%}
        {%- if node and node.name in run_limit_models() and node.name not in selected -%}
            {%- for parent in node.depends_on.nodes -%}
                {%- if parent.split('.')[-1] in staging_models and node.name not in lagging_readers -%}
                    {%- do lagging_readers.append(node.name) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif %}

with

manifest as (

    select
        model_name,
        processed_load_id
    from {{ ref('int_incremental_manifest') }}

),

expected_models as (

    {% for name in expected -%}
    select cast('{{ name }}' as {{ dbt.type_string() }}) as model_name
    {% if not loop.last %}union all{% endif %}
    {% else -%}
    select cast(null as {{ dbt.type_string() }}) as model_name
    where 1 = 0
    {% endfor %}

),

processed as (

    select
        expected_models.model_name,
        coalesce(manifest.processed_load_id, 0) as processed_load_id
    from expected_models
    left join manifest
        on expected_models.model_name = manifest.model_name

),

staged_loads as (

    {% for name in staging_models -%}
    select max(load_id) as max_load_id from {{ ref(name) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

upper_caps as (

    -- readers of staging rows not selected in this run: what they processed caps the upper limit
    select cast(null as {{ dbt.type_bigint() }}) as max_load_id
    {% for name in lagging_readers %}
    union all
    select coalesce(max(manifest.processed_load_id), 0) as max_load_id
    from manifest
    where manifest.model_name = '{{ name }}'
    {% endfor %}

),

limits as (

    select
        coalesce((select min(processed.processed_load_id) from processed), 0) as lower_load_id,
        coalesce((select max(staged_loads.max_load_id) from staged_loads), 0) as staged_load_id,
        (select min(upper_caps.max_load_id) from upper_caps) as capped_load_id

),

final as (

    select
        cast(lower_load_id as {{ dbt.type_bigint() }}) as lower_load_id,
        cast(
            case
                when capped_load_id < staged_load_id then capped_load_id
                else staged_load_id
            end as {{ dbt.type_bigint() }}
        ) as upper_load_id
    from limits

)

select * from final
