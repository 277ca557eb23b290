-- ref_claim_codes: the claim code table in use: the packaged 診療行為コード of each indicator
-- (reference/data/claim_codes.csv) and the codes added to the warehouse from a newer
-- 医科診療行為マスター (`zaitaku codes add`); a packaged code is never overridden by an addition.
-- Grain: one row per code. The warehouse defines it as a view when it opens.
-- Reads: ref_claim_codes_packaged, claim_code_additions.

with

packaged as (
    select code, kubun, name, indicator, seen_in, source
    from ref_claim_codes_packaged
),

additions as (
    select code, kubun, name, indicator, seen_in, source
    from claim_code_additions
),

final as (
    select code, kubun, name, indicator, seen_in, source
    from packaged
    union all
    select code, kubun, name, indicator, seen_in, source
    from additions
    where code not in (select code from packaged)
)

select code, kubun, name, indicator, seen_in, source from final
