{#-
  Every line of a raw text source with its file, the file's modification time, the file's
  partition key and a `line_id`: a hash of file and line, plus the occurrence number when
  the same line appears more than once in a file (text files carry no row numbers in
  Spark). In an incremental run only the lines of file versions the model has not parsed
  yet are read on (`unparsed_files_only`).
-#}
{% macro raw_lines(source_name, table_name) -%}
    select
        {{ line_id('source_file', 'value') }} as line_id,
        make_valid_utf8(value) as raw_line,
        source_file,
        source_file_modified_at,
        {{ source_file_key('source_file', 'source_file_modified_at') }} as source_file_key
    from (
        select
            value,
            _metadata.file_path as source_file,
            _metadata.file_modification_time as source_file_modified_at
        from {{ source(source_name, table_name) }}
        {{ unparsed_files_only(source(source_name, table_name)) }}
    ) as file_lines
{%- endmacro %}

{#-
  The parsed models (`base_*__parsed_*`) are incremental by raw file: partitioned by
  `source_file_key`, they parse only the file versions (path and modification time) they
  do not hold yet and `insert_overwrite` replaces just those files' partitions, so a new
  day's file costs its own lines, not the whole drop again. A changed file is parsed
  again whole; a removed one is dropped by `forget_removed_files`. In an incremental run,
  a where-clause over `source_relation` keeping only the files to parse: the source's
  file listing (`<table>__files`, made by `create_raw_sources`) less the file versions
  `this` holds (its partitions, `parsed_file_keys`), looked up when the run starts and
  written as literals, so Spark reads no other file (`where false` when there is none).
-#}
{% macro unparsed_files_only(source_relation) -%}
    {%- if is_incremental() -%}
        {%- set paths = [] -%}
        {%- if execute -%}
            {%- do require_file_partitions() -%}
            {%- set parsed = [] -%}
            {%- for key in parsed_file_keys() -%}
                {%- do parsed.append(cartwheel_sql_string(key)) -%}
            {%- endfor -%}
            {%- set sql -%}
                select present.path
                from {{ source_relation }}__files as present
                {%- if parsed %}
                where {{ file_version_key('present.path', 'present.modificationTime') }}
                    not in ({{ parsed | join(', ') }})
                {%- endif %}
                order by present.path
            {%- endset -%}
            {%- for row in run_query(sql).rows -%}
                {%- do paths.append(cartwheel_sql_string(row[0])) -%}
            {%- endfor -%}
        {%- endif %}
        where {% if paths -%}
            {{ file_path('_metadata.file_path') }} in ({{ paths | join(', ') }})
        {%- else -%}
            false
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#-
  The file versions a model partitioned by `source_file_key` holds (a parsed model, or
  `int_landed_file_months`): its partitions, from the catalog (`show partitions`, no file
  is read; a `select distinct` over the column read every Parquet footer: 2 s warm, 13 s
  in a fresh JVM at 10M events).
-#}
{% macro parsed_file_keys(relation=this) -%}
    {%- set keys = [] -%}
    {%- for row in run_query('show partitions ' ~ relation).rows -%}
        {%- do keys.append(row[0].split('=', 1)[1]) -%}
    {%- endfor -%}
    {{ return(keys) }}
{%- endmacro %}

{#-
  The file versions the models `this` refs hold (`int_landed_file_months`: the parsed
  models it reads, each partitioned by `source_file_key`).
-#}
{% macro upstream_file_keys() -%}
    {%- set keys = [] -%}
    {%- for upstream in model.refs -%}
        {%- do keys.extend(parsed_file_keys(ref(upstream.name))) -%}
    {%- endfor -%}
    {{ return(keys) }}
{%- endmacro %}

{#-
  In an incremental run of a model partitioned by `source_file_key` that reads parsed
  models (`int_landed_file_months`): a where-clause keeping the rows of the file versions
  they hold and `this` does not, written as literals (`where false` when there is none);
  nothing otherwise. File version keys differ between sources (they hash the file's
  path), so one clause serves each parsed model read.
-#}
{% macro new_file_versions_only() -%}
    {%- if is_incremental() -%}
        {%- set keys = [] -%}
        {%- if execute -%}
            {%- set held = parsed_file_keys() -%}
            {%- for key in upstream_file_keys() if key not in held -%}
                {%- do keys.append(cartwheel_sql_string(key)) -%}
            {%- endfor -%}
        {%- endif %}
        where {% if keys -%}
            source_file_key in ({{ keys | join(', ') }})
        {%- else -%}
            false
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- Drop the `source_file_key` partitions of `this` whose key is not in `present`. -#}
{% macro drop_file_versions_not_in(present) %}
    {%- for key in parsed_file_keys(this) if key not in present -%}
        {%- do run_query(
            'alter table ' ~ this ~ ' drop if exists partition (source_file_key = '
            ~ cartwheel_sql_string(key) ~ ')'
        ) -%}
    {%- endfor -%}
{% endmacro %}

{#-
  A pre-hook of `int_landed_file_months`: in an incremental run, drop the `source_file_key`
  partitions that none of the parsed models it reads holds any more (a raw file removed,
  or changed and parsed again under a new key), so the table stays what a full refresh
  would make.
-#}
{% macro forget_file_versions_not_upstream() %}
    {%- if execute and is_incremental() -%}
        {%- do drop_file_versions_not_in(upstream_file_keys()) -%}
    {%- endif -%}
    select 1
{% endmacro %}

{#-
  A parsed model built before it was partitioned by raw file has no `source_file_key`:
  stop naming it and the one command that rebuilds it (rather than Spark's unresolved
  column, or dbt's schema mismatch, further on).
-#}
{% macro require_file_partitions() %}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {%- if 'source_file_key' not in columns -%}
        {{ exceptions.raise_compiler_error(
            this ~ ' was built before the parsed models were partitioned by raw file (it has'
            ~ ' no source_file_key column): rebuild the staging models once with'
            ~ ' `dbt run --full-refresh --select path:models/staging`'
        ) }}
    {%- endif -%}
{% endmacro %}

{#-
  A pre-hook of the parsed models: in an incremental run, drop the partitions of file
  versions no longer under the raw root (a file removed, or changed since it was parsed),
  so the parsed rows (and the staged, rejected and audited ones) stay those of the files
  there, as a full refresh would have them (a file moved away after it failed the run is
  gone from the next run). Partition keys are read from the partitions alone.
-#}
{% macro forget_removed_files() %}
    {%- if execute and is_incremental() -%}
        {%- set present = [] -%}
        {%- for source_name, table_name in model.sources -%}
            {%- do present.append(
                'select ' ~ file_version_key('path', 'modificationTime') ~ ' as source_file_key from '
                ~ source(source_name, table_name) ~ '__files'
            ) -%}
        {%- endfor -%}
        {%- set listed = run_query(present | join(' union all ')).columns[0].values() -%}
        {%- do drop_file_versions_not_in(listed) -%}
    {%- endif -%}
    select 1
{% endmacro %}

{#- A file's path as Spark's file listings give it (`binaryFile`'s `path`) from a
    `_metadata.file_path`, which is URI-encoded (`%20` for a space; a `+` stays a `+`). -#}
{% macro file_path(metadata_path) -%}
    url_decode(replace({{ metadata_path }}, '+', '%2B'))
{%- endmacro %}

{#- A raw file version's partition in the parsed models, from a `_metadata.file_path` and
    modification time: a hash of both (a path itself could exceed a folder name's 255
    bytes once escaped). A changed file gets a new key, its old partition is dropped. -#}
{% macro source_file_key(metadata_path, modified_at) -%}
    {{ file_version_key(file_path(metadata_path), modified_at) }}
{%- endmacro %}

{#- The same key from a file listing's (decoded) path and modification time. -#}
{% macro file_version_key(path, modified_at) -%}
    md5(concat({{ path }}, '|', cast({{ modified_at }} as string)))
{%- endmacro %}

{% macro line_id(file_column, line_column) -%}
    md5(concat({{ file_column }}, '\n', {{ line_column }})) || '-' || row_number() over (
        partition by {{ file_column }}, {{ line_column }} order by {{ file_column }}
    )
{%- endmacro %}

{#- Number of comma-separated fields of a CSV line (double-quoted fields count once). -#}
{% macro csv_field_count(line) -%}
    size(split(regexp_replace({{ line }}, '"[^"]*"', ''), ',', -1))
{%- endmacro %}

{#- A trimmed string with empty strings turned to null. -#}
{% macro clean_string(expression) -%}
    nullif(trim({{ expression }}), '')
{%- endmacro %}

{#- The event types the shop logs understand. -#}
{% macro known_event_types() -%}
    ('view', 'cart', 'remove_from_cart', 'purchase')
{%- endmacro %}

{#-
  The reject rules every event log shares (first match wins):
  `case {{ event_reject_rules(expected_fields) }} ... end` over a parsed line with
  `raw_line`, `field_count`, `user_id`, `product_id`, `event_at`, `event_type`,
  `price_text` and `price`; `expected_fields` is a number or a column (the header's).
-#}
{% macro event_reject_rules(expected_fields) -%}
    when trim(raw_line) = '' then 'empty_line'
    {{ not_utf8_rule() }}
    when field_count != {{ expected_fields }} then 'wrong_field_count'
    when user_id is null then 'missing_user_id'
    when product_id is null then 'missing_product_id'
    when event_at is null then 'bad_timestamp'
    when event_type is null or event_type not in {{ known_event_types() }}
        then 'unknown_event_type'
    when price_text is not null and price is null then 'non_numeric_price'
    when price < 0 then 'negative_price'
{%- endmacro %}

{#- A line that was not valid UTF-8 (a Latin-1 export, say): `raw_lines` turned each bad
    byte into U+FFFD (so every table stays readable), and the line is rejected rather than
    loaded with mangled text. -#}
{% macro not_utf8_rule() -%}
    when instr(raw_line, '\ufffd') > 0 then 'not_utf8'
{%- endmacro %}

{#- The REES46 header line, as every REES46 file starts. -#}
{% macro rees46_header() -%}
    event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session
{%- endmacro %}
