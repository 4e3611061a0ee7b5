{#- The body of a `<source>_rejected` model: the rejected lines of a parsed model. -#}
{% macro rejected_lines(parsed_model) %}
with

parsed as (

    select * from {{ ref(parsed_model) }}

),

final as (

    select
        line_id as reject_id,
        source_file,
        raw_line,
        reject_reason,
        source_file_modified_at
    from parsed
    where reject_reason is not null

)

select * from final
{% endmacro %}
