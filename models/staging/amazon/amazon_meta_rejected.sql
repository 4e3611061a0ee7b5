{{ config(
    materialized='table',
    post_hook="{{ fail_on_garbage_files(ref('base_amazon__parsed_products'), 'amazon_meta') }}"
) }}

{{ rejected_lines('base_amazon__parsed_products') }}
