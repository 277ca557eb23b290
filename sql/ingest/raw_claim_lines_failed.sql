-- raw_claim_lines_failed: the lines of the claims extract that were checked but not loaded, under
-- the name raw_claim_lines, so that the staging checks run again on those lines alone (a second
-- pass over a few lines, not over the file) and stg_claim_rejects says why each one failed.
-- Grain: one row per failed line of the file.
-- Reads: claims_raw_lines, claims_failed_lines.

with

lines as (
    select * from claims_raw_lines
),

failed as (
    select line_no from claims_failed_lines
),

final as (
    select *
    from lines
    where line_no in (select line_no from failed)
)

select * from final
