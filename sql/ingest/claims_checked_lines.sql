-- claims_checked_lines: how many lines of the claims extract being ingested were checked (its
-- non-blank lines with the header's number of fields).
-- Grain: one row, one column.
-- Reads: raw_claim_lines.

with

lines as (
    select is_blank from raw_claim_lines
),

final as (
    select count(*) as lines
    from lines
    where not is_blank
)

select lines from final
