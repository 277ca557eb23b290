-- stg_claim_overlaps: the (保険者番号, 診療年月) pairs of one claims ingest that meet lines of
-- other files in the same service month.
-- Grain: one row per (pair of ingest $ingest_id, pair of another ingest in the same month) that
-- overlap: 'same' = the same insurer (null, an empty 保険者番号, is its own value "unknown" and
-- meets only null), which the grain rule refuses or --replace supersedes; 'insurer_unknown' =
-- one side has no 保険者番号 and the other one, which may or may not be the same claims and is
-- only warned about.
-- Reads claim_pairs (a few rows per file and month, not the claim lines: the check costs the
-- same for ten million lines as for ten) and ingest_log (the earlier file's name and date).
-- claim_pairs holds only lines still present: removed files and replaced pairs are gone from it.

with

incoming as (
    select insurer_no, service_month, lines
    from claim_pairs
    where ingest_id = $ingest_id
),

loaded as (
    select ingest_id, insurer_no, service_month, lines
    from claim_pairs
    where ingest_id <> $ingest_id
),

files as (
    select ingest_id, file_name, ingested_at
    from ingest_log
),

met as (
    select
        i.insurer_no,
        i.service_month,
        i.lines,
        l.ingest_id as earlier_ingest_id,
        l.insurer_no as earlier_insurer_no,
        l.lines as earlier_lines,
        case
            when i.insurer_no is not distinct from l.insurer_no then 'same'
            else 'insurer_unknown'
        end as overlap
    from incoming as i
    inner join loaded as l on l.service_month = i.service_month
    where i.insurer_no is not distinct from l.insurer_no
        or i.insurer_no is null
        or l.insurer_no is null
),

final as (
    select
        m.insurer_no,
        m.service_month,
        m.lines,
        m.earlier_ingest_id,
        m.earlier_insurer_no,
        m.earlier_lines,
        f.file_name as earlier_file_name,
        f.ingested_at as earlier_ingested_at,
        m.overlap
    from met as m
    inner join files as f on f.ingest_id = m.earlier_ingest_id
)

select
    insurer_no,
    service_month,
    lines,
    earlier_ingest_id,
    earlier_insurer_no,
    earlier_lines,
    earlier_file_name,
    earlier_ingested_at,
    overlap
from final
