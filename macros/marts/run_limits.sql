{#-
    Run limits: which loads an incremental run reads (after Snowplow's dbt packages).

    int_run_limits is rebuilt first in every run: upper_load_id = the newest load staged (over
    stg_events and the log-table staging models), lower_load_id = the smallest load_id that
    every incremental model selected in this run has processed, taken from
    int_incremental_manifest (a model without a manifest row counts as 0: it reads
    everything). A run reads loads in (lower_load_id, upper_load_id]; record_run_limits (a
    post-hook) stores upper_load_id for every incremental model once it is built. A model that failed or was skipped keeps its old value,
    so the next run's lower limit goes back to it: nothing a lagging model has not processed
    is skipped, and the others read those loads again, which changes nothing because every
    model recomputes whole units.
-#}

{#- The incremental models that keep a manifest row (every incremental model but the manifest itself). -#}
{% macro run_limit_models(selected_only=false) -%}
    {%- set names = [] -%}
    {%- if not execute -%}
        {{ return(names) }}
    {%- endif -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.package_name == project_name
            and node.config.materialized == 'incremental' and node.name != 'int_incremental_manifest'
            and (not selected_only or node.unique_id in selected_resources) -%}
            {%- do names.append(node.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(names | sort) }}
{%- endmacro %}


{#-
    The limits of this run as SQL scalar subqueries on int_run_limits: {'lower': ..., 'upper': ...}.
    Call it outside `is_incremental()` blocks so dbt sees the dependency on int_run_limits.
-#}
{% macro get_run_limits() -%}
    {%- set limits = ref('int_run_limits') -%}
    {{ return({
        'lower': '(select run_limits.lower_load_id from ' ~ limits ~ ' as run_limits)',
        'upper': '(select run_limits.upper_load_id from ' ~ limits ~ ' as run_limits)',
    }) }}
{%- endmacro %}


{#- SQL condition: `column` is a load of this run, i.e. in (lower_load_id, upper_load_id]. -#}
{% macro in_run_limits(column='load_id') -%}
    {%- set limits = get_run_limits() -%}
    ({{ column }} > {{ limits.lower }} and {{ column }} <= {{ limits.upper }})
{%- endmacro %}


{#-
    The fct_events rows an incremental model reads: int_events_this_run (the rows of this
    run's loads) on an incremental run, all of fct_events on a full build. Returns a relation.
    Call it outside `is_incremental()` blocks (it registers the dependencies on
    int_events_this_run, fct_events and int_run_limits).
-#}
{% macro events_this_run() -%}
    {%- do get_run_limits() -%}
    {%- set this_run = ref('int_events_this_run') -%}
    {%- set all_events = ref('fct_events') -%}
    {{ return(this_run if is_incremental() else all_events) }}
{%- endmacro %}


{#-
    Subquery body: the distinct values of `date_column` among the rows of `relation` that
    belong to this run's loads. Date-grain models delete and rebuild exactly these dates.
-#}
{% macro changed_dates(relation, date_column='event_date', load_column='load_id') -%}
    select distinct changed.{{ date_column }} as changed_date
    from {{ relation }} as changed
    where {{ in_run_limits('changed.' ~ load_column) }}
{%- endmacro %}


{#-
    SQL condition for date-grain models: `column` is one of the changed_dates(relation, ...).
    The extra lower bound lets the scan skip older data (zone maps) before the semi-join.
-#}
{% macro in_changed_dates(column, relation, date_column='event_date', load_column='load_id') -%}
    ({{ column }} >= (select min(changed_bounds.changed_date)
        from ({{ changed_dates(relation, date_column, load_column) }}) as changed_bounds)
    and {{ column }} in ({{ changed_dates(relation, date_column, load_column) }}))
{%- endmacro %}


{#-
    Post-hook of every model (dbt_project.yml): after an incremental model is built, record
    this run's upper_load_id as what it has processed in int_incremental_manifest. It runs
    in the model's own transaction (PostgreSQL), so a model that fails records nothing.
    Renders nothing for other models.
-#}
{% macro record_run_limits() -%}
    {%- if not execute or model.config.materialized != 'incremental' or model.name not in run_limit_models() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set manifest = run_limits_relation('int_incremental_manifest') -%}
    {%- set limits = run_limits_relation('int_run_limits') -%}
    {%- if manifest is none or limits is none -%}
        {{ return('') }}
    {%- endif -%}
    delete from {{ manifest }}
    where model_name = '{{ model.name }}';
    insert into {{ manifest }} (model_name, processed_load_id)
    select
        cast('{{ model.name }}' as {{ dbt.type_string() }}) as model_name,
        run_limits.upper_load_id as processed_load_id
    from {{ limits }} as run_limits
{%- endmacro %}


{#- The existing relation of a model of this project by name (none when not built). -#}
{% macro run_limits_relation(model_name) -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name == model_name -%}
        {{ return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)) }}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}
