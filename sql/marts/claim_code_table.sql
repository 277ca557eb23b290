-- claim_code_table: the claim code table as `zaitaku codes list` shows it: the packaged
-- 診療行為コード of each indicator plus those added from a newer 医科診療行為マスター.
-- Grain: one row per code, by indicator, 区分 and code.
-- Reads: ref_claim_codes.

with

final as (
    select code, kubun, name, indicator, seen_in, source
    from ref_claim_codes
)

select code, kubun, name, indicator, seen_in, source
from final
order by indicator, kubun, code
