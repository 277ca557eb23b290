-- claim_cache_codes: the code table in use, as the claims cells read it (it numbers the
-- indicators of every stored block: claims_cache.py digests it).
-- Grain: one row per (code, indicator), in order.
-- Reads: ref_claim_codes.

with

final as (
    select code, indicator
    from ref_claim_codes
)

select code, indicator
from final
order by code, indicator
