-- Per source: every raw line is accounted for. raw = accepted + duplicates + rejected.
with

{% set parsed_sources = [
    ('rees46', 'base_rees46__parsed_events', 'stg_rees46__events', 'rees46_rejected',
     "raw_line not like '" ~ rees46_header() ~ "%'", [('rees46', 'events')]),
    ('amazon_reviews', 'base_amazon__parsed_reviews', 'stg_amazon__reviews',
     'amazon_reviews_rejected', 'true', [('amazon', 'reviews')]),
    ('amazon_meta', 'base_amazon__parsed_products', 'stg_amazon__products',
     'amazon_meta_rejected', 'true', [('amazon', 'meta')]),
    ('interactions', 'base_interactions__parsed_events', 'stg_interactions__events',
     'interactions_rejected', 'not ' ~ csv_is_header('raw_line', 'user_id'),
     [('interactions', 'events_csv'), ('interactions', 'events_parquet')]),
] %}

{% for label, parsed, staged, rejected, data_filter, raw_tables in parsed_sources %}
    {{ label }}_counts as (

        select
            '{{ label }}' as source_name,
            (
                select count(*) from (
                {%- for source_name, table_name in raw_tables %}
                        {%- if not loop.first %} union all{% endif %}
                        {%- if source_name == 'interactions' and table_name == 'events_parquet' %}
                            select 'parquet row' as raw_line
                            from {{ source(source_name, table_name) }}
                        {%- else %}
                            select value as raw_line from {{ source(source_name, table_name) }}
                        {%- endif %}
                    {%- endfor %}
                ) as raw_lines
                where {{ data_filter }}
            ) as raw_rows,
            (
                select count(*) from {{ ref(parsed) }}
                where reject_reason is null
            ) as accepted_rows,
            (select count(*) from {{ ref(staged) }}) as staged_rows,
            (select count(*) from {{ ref(rejected) }}) as rejected_rows

    ),
{% endfor %}

unioned as (

    {% for label, _p, _s, _r, _f, _t in parsed_sources %}
        select * from {{ label }}_counts
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        source_name,
        raw_rows,
        staged_rows,
        accepted_rows - staged_rows as duplicate_rows,
        rejected_rows,
        raw_rows = accepted_rows + rejected_rows as is_reconciled
    from unioned

)

select * from final
