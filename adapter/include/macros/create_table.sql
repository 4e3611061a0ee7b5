{#-
  dbt-spark's create_table_as, after clearing the folder a create killed mid-way left
  where the table goes (embedded session only: adapter.clear_orphan_location), so the
  next run does not fail with Spark's LOCATION_ALREADY_EXISTS. The removed folder is
  named in dbt's output.
-#}
{% macro cartwheel__create_table_as(temporary, relation, compiled_code, language='sql') -%}
  {%- if execute and not temporary and not config.get('location_root') -%}
    {%- set cleared = adapter.clear_orphan_location(relation) -%}
    {%- if cleared -%}
      {{ log("removed " ~ cleared ~ ": a folder of " ~ relation ~ " the catalog did not know (left by a create stopped mid-way)", info=True) }}
    {%- endif -%}
  {%- endif -%}
  {{ spark__create_table_as(temporary, relation, compiled_code, language) }}
{%- endmacro %}
