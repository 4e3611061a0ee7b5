{#-
  Fail the run, naming the file, when a raw file has lines but not one was accepted:
  that is a wrong file or a wrong format, not a few bad rows. Runs as a post-hook of
  each `<source>_rejected` model, over the parsed lines of that source.
-#}
{% macro fail_on_garbage_files(parsed_relation, source_label) %}
    {%- if execute -%}
        {%- set sql -%}
            select
                source_file,
                count(*) as lines,
                min(reject_reason) as first_reason
            from {{ parsed_relation }}
            group by source_file
            having count(*) > 0 and count_if(reject_reason is null) = 0
            order by source_file
        {%- endset -%}
        {%- set garbage = run_query(sql) -%}
        {%- if garbage and garbage.rows | length > 0 -%}
            {%- set described = [] -%}
            {%- for row in garbage.rows -%}
                {%- do described.append(row[0] ~ ' (' ~ row[1] ~ ' lines, e.g. ' ~ row[2] ~ ')') -%}
            {%- endfor -%}
            {{ exceptions.raise_compiler_error(
                source_label ~ ': no line of these files could be read, every line was rejected: '
                ~ described | join('; ')
                ~ '. Is the file in the right folder and format? Its lines are in '
                ~ source_label ~ '_rejected.'
            ) }}
        {%- endif -%}
    {%- endif -%}
    select 1
{% endmacro %}
