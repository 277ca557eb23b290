-- int_claim_indicators: the indicators of the claim-code table, with compact ids.
-- Grain: one row per indicator of ref_claim_codes (packaged table plus codes added from a newer
-- 診療行為マスター).
-- Reads: ref_claim_codes.

with

codes as (
    select distinct indicator
    from ref_claim_codes
),

final as (
    select row_number() over (order by indicator) as indicator_id, indicator
    from codes
)

select indicator_id, indicator from final
