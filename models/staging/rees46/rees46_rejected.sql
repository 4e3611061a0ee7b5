{{ config(
    materialized='table',
    post_hook="{{ fail_on_garbage_files(ref('base_rees46__parsed_events'), 'rees46') }}"
) }}

{{ rejected_lines('base_rees46__parsed_events') }}
