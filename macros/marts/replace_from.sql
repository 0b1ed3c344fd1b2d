{#-
    Custom incremental strategy `replace_from` (config: incremental_strategy='replace_from',
    unique_key=<owner column>, replace_from_column=<ordered column>).

    For every owner in the new rows, delete the owner's stored rows from its earliest new
    row on, then insert the new rows. An owner's rows before that point stay as they are.
    fct_sessions uses it: a late event changes the sessions of its user from the session it
    falls into (or after) onward, and a recomputed run can merge or split sessions, so a
    plain delete+insert on the session key would leave stale sessions behind.
-#}
{% macro get_incremental_replace_from_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set owner = arg_dict['unique_key'] -%}
    {%- set from_column = config.get('replace_from_column') -%}
    {%- if owner is not string or not from_column -%}
        {{ exceptions.raise_compiler_error(
            "replace_from needs unique_key (one column) and replace_from_column") }}
    {%- endif -%}
    {%- set dest_cols_csv = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}

    delete from {{ target }}
    where exists (
        select 1
        from (
            select
                {{ owner }} as replace_owner,
                min({{ from_column }}) as replace_from
            from {{ source }}
            group by {{ owner }}
        ) as replaced
        where
            replaced.replace_owner = {{ target }}.{{ owner }}
            and {{ target }}.{{ from_column }} >= replaced.replace_from
    );

    insert into {{ target }} ({{ dest_cols_csv }})
    select {{ dest_cols_csv }}
    from {{ source }}
{%- endmacro %}
