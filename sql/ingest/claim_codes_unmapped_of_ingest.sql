-- claim_codes_unmapped_of_ingest: 診療行為コード of ingest $ingest_id that start like a 在宅医療 code
-- ($prefix, e.g. '114%') and that ref_claim_codes does not map: codes a newer fee schedule may
-- have added, named in the ingest's summary.
-- Grain: one row per such act_code with its lines, the $top most frequent first.
-- Reads: claim_lines, ref_claim_codes. Parameters: $ingest_id, $prefix, $top.

with

lines as (
    select act_code
    from claim_lines
    where ingest_id = $ingest_id
),

codes as (
    select code from ref_claim_codes
),

final as (
    select l.act_code, count(*) as lines
    from lines as l
    left join codes as c on c.code = l.act_code
    where c.code is null and l.act_code like $prefix
    group by l.act_code
)

select act_code, lines
from final
order by lines desc, act_code
limit $top
