{#-
  External tables over the raw files, one per source table that declares
  `external.location` (dbt packages such as dbt-external-tables cannot be installed
  here). Each raw file is read as text, one row per line, so that every line, good or
  bad, reaches staging with its file name and can be accepted or rejected there.
  Tables are dropped and re-created on every run: cheap (metadata only, the files are
  never touched) and it picks up a changed `raw_root` and new files.
-#}
{% macro create_raw_sources() %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set schemas = [] -%}
    {%- for node in graph.sources.values() | sort(attribute='unique_id') -%}
        {%- set external = node.external -%}
        {%- if external and external.location -%}
            {%- if node.schema not in schemas -%}
                {%- do run_query('create schema if not exists ' ~ node.schema) -%}
                {%- do schemas.append(node.schema) -%}
            {%- endif -%}
            {%- set relation = node.schema ~ '.' ~ node.identifier -%}
            {%- set file_format = external.file_format or 'text' -%}
            {%- set options = external.get('options') or node.meta.get('options') or {} -%}
            {%- set table_options -%}
                options (
                    recursiveFileLookup 'true'
                    {%- for key, value in options.items() %}, {{ key }} {{ cartwheel_sql_string(value) }}{% endfor %}
                )
                location {{ cartwheel_sql_string(raw_location(external.location)) }}
            {%- endset -%}
            {%- do run_query('drop table if exists ' ~ relation) -%}
            {%- set ddl -%}
                create table {{ relation }}
                {%- if file_format == 'text' %} (value string){% else %} ({{ cartwheel_column_ddl(node) }}){% endif %}
                using {{ file_format }}
                {{ table_options }}
            {%- endset -%}
            {%- do run_query(ddl) -%}
            {#- the same folder's file listing (path, modification time; contents are
                not read unless asked for): which files the parsed models have not seen -#}
            {%- do run_query('drop table if exists ' ~ relation ~ '__files') -%}
            {%- do run_query('create table ' ~ relation ~ '__files using binaryFile ' ~ table_options) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return('') }}
{% endmacro %}

{#- `name type` pairs of a source's declared columns, for non-text external tables. -#}
{% macro cartwheel_column_ddl(node) -%}
    {%- set pairs = [] -%}
    {%- for column in node.columns.values() -%}
        {%- do pairs.append(column.name ~ ' ' ~ (column.data_type or 'string')) -%}
    {%- endfor -%}
    {{ pairs | join(', ') }}
{%- endmacro %}

{#- The raw root: the `raw_root` var, else $CARTWHEEL_RAW_ROOT, else $CARTWHEEL_HOME/raw;
    a relative one made absolute against dbt's working directory (`adapter.raw_root_path`). -#}
{% macro raw_root() -%}
    {{ return(adapter.raw_root_path(var('raw_root', env_var(
        'CARTWHEEL_RAW_ROOT', env_var('CARTWHEEL_HOME', '.cartwheel') ~ '/raw')))) }}
{%- endmacro %}

{#- A source's folder: relative locations sit under the raw root. -#}
{% macro raw_location(location) -%}
    {%- if location.startswith('/') or '://' in location -%}
        {{ return(location) }}
    {%- else -%}
        {{ return(raw_root().rstrip('/') ~ '/' ~ location) }}
    {%- endif -%}
{%- endmacro %}
