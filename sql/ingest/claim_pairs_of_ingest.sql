-- claim_pairs_of_ingest: the (保険者番号, 診療年月) pairs of the lines ingest $ingest_id loaded, with
-- their lines, as claim_pairs keeps them (the grain rule compares files on these, never on lines).
-- Grain: one row per (insurer_no, service_month) of the ingest; a null 保険者番号 is a pair of its
-- own.
-- Reads: claim_lines. Parameters: $ingest_id.

with

lines as (
    select insurer_no, service_month
    from claim_lines
    where ingest_id = $ingest_id
),

final as (
    select
        $ingest_id as ingest_id,
        insurer_no,
        service_month,
        count(*) as lines
    from lines
    group by insurer_no, service_month
)

select ingest_id, insurer_no, service_month, lines from final
