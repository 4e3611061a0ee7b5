{#- The body of a `<source>_rejected` model: the rejected lines of a parsed model. -#}
{% macro rejected_lines(parsed_model) %}
with

parsed as (

    select * from {{ ref(parsed_model) }}

),

rejected as (

    select
        *,
        row_number() over (
            partition by source_file, raw_line order by source_file
        ) as occurrence
    from parsed
    where reject_reason is not null

),

final as (

    select
        md5(concat(source_file, '\n', raw_line)) || '-' || occurrence as reject_id,
        source_file,
        raw_line,
        reject_reason,
        source_file_modified_at
    from rejected

)

select * from final
{% endmacro %}
