{#-
    Which copy of an event wins when the same event_id arrives more than once.

    The earliest arrival wins: smallest batch_date, then source_file, then source_line (the
    ingest job's own rule inside one batch). load_id descending only breaks exact ties, i.e.
    the same raw row loaded twice (a batch reloaded without deleting the old copy), in
    favour of the newest load.

    Used by fct_events (full refresh and incremental runs rank the same way, which is what
    makes both give the same table) and by its reconciliation test.
-#}
{% macro event_precedence_order(relation_alias=none) -%}
    {%- set p = (relation_alias ~ '.') if relation_alias else '' -%}
    {{ p }}batch_date, {{ p }}source_file, {{ p }}source_line, {{ p }}load_id desc
{%- endmacro %}

{% macro event_precedence_rank(relation_alias=none) -%}
    {%- set p = (relation_alias ~ '.') if relation_alias else '' -%}
    row_number() over (partition by {{ p }}event_id order by {{ event_precedence_order(relation_alias) }})
{%- endmacro %}
