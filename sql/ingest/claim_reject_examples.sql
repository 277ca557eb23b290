-- claim_reject_examples: the rejects of the first $n rejected lines of the claims extract being
-- ingested, shown when a file is refused (ingest_claims orders them by line, then by column as
-- the file has them).
-- Grain: one row per (line, column) reject of those lines.
-- Reads: stg_claim_rejects. Parameters: $n.

with

rejects as (
    select line_no, column_key, column_name, value, reason
    from stg_claim_rejects
),

first_lines as (
    select distinct line_no
    from rejects
    order by line_no
    limit $n
),

final as (
    select line_no, column_key, column_name, value, reason
    from rejects
    where line_no in (select line_no from first_lines)
)

select line_no, column_key, column_name, value, reason from final
