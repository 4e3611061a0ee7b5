{{ config(
    materialized='table',
    post_hook="{{ fail_on_garbage_files(ref('base_amazon__parsed_reviews'), 'amazon_reviews') }}"
) }}

{{ rejected_lines('base_amazon__parsed_reviews') }}
