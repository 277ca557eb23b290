-- claim_reject_reasons: why the lines of the claims extract being ingested were rejected, most
-- common first.
-- Grain: one row per reason, with the number of (line, column) rejects giving it.
-- Reads: stg_claim_rejects.

with

rejects as (
    select reason from stg_claim_rejects
),

final as (
    select reason, count(*) as rejects
    from rejects
    group by reason
)

select reason, rejects
from final
order by rejects desc, reason
