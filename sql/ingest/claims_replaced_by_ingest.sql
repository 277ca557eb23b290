-- claims_replaced_by_ingest: what one claims ingest replaced of earlier files (--replace), so
-- that `zaitaku remove` can say that taking it out does not bring those lines back.
-- Grain: one row per earlier ingest whose (保険者番号, 診療年月) pairs ingest $ingest_id replaced,
-- with the pairs and the claim lines it lost, in ingest order.
-- Reads: claim_replacements, ingest_log. Parameters: $ingest_id.

with

replacements as (
    select replaced_ingest_id, lines
    from claim_replacements
    where ingest_id = $ingest_id
),

files as (
    select ingest_id, file_name
    from ingest_log
),

final as (
    select
        f.file_name,
        r.replaced_ingest_id,
        count(*) as pairs,
        sum(r.lines) as lines
    from replacements as r
    inner join files as f on f.ingest_id = r.replaced_ingest_id
    group by f.file_name, r.replaced_ingest_id
)

select file_name, replaced_ingest_id, pairs, lines
from final
order by replaced_ingest_id
