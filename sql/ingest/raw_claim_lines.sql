-- raw_claim_lines: the lines of the claims extract being ingested, as the staging SQL reads them
-- (stg_claim_lines and its distinct-value checks): every line of the reader's claims_raw_lines.
-- Grain: one row per line of the file (blank ones included, flagged is_blank).
-- ingest_claims defines it as a view, then narrows it to the lines that failed
-- (raw_claim_lines_failed.sql) to find their reasons.
-- Reads: claims_raw_lines.

with

lines as (
    select * from claims_raw_lines
),

final as (
    select * from lines
)

select * from final
