-- claim_prefectures_of_ingest: the prefectures where the patients of ingest $ingest_id live (the
-- first two digits of the residence 市町村コード), recorded in ingest_log.
-- Grain: one row per prefecture code (unordered).
-- Reads: claim_lines. Parameters: $ingest_id.

with

lines as (
    select residence_code5
    from claim_lines
    where ingest_id = $ingest_id
),

final as (
    select distinct substr(residence_code5, 1, 2) as pref_code
    from lines
)

select pref_code from final
