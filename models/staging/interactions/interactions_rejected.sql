{{ config(
    materialized='table',
    post_hook="{{ fail_on_garbage_files(ref('base_interactions__parsed_events'), 'interactions') }}"
) }}

{{ rejected_lines('base_interactions__parsed_events') }}
