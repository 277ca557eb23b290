-- claims_failed_lines: the lines of the claims extract being ingested that were checked and not
-- loaded: non-blank lines of the file that claim_lines does not hold under ingest $ingest_id.
-- Grain: one row per failed line_no; none when $failed (checked lines minus loaded ones) is 0,
-- without reading claim_lines.
-- Reads: claims_raw_lines, claim_lines. Parameters: $ingest_id, $failed.

with

lines as (
    select line_no, is_blank
    from claims_raw_lines
),

loaded as (
    select source_row
    from claim_lines
    where ingest_id = $ingest_id
),

final as (
    select line_no
    from lines
    where $failed > 0
        and not is_blank
        and line_no not in (select source_row from loaded)
)

select line_no from final
