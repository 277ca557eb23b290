-- claim_indicators: the indicators the claim code table maps codes to (houmon_shinryo, …), to
-- check an indicator named by the analyst.
-- Grain: one row per indicator (unordered).
-- Reads: ref_claim_codes.

with

codes as (
    select indicator from ref_claim_codes
),

final as (
    select distinct indicator from codes
)

select indicator from final
