-- int_claim_codes: the indicator of each 診療行為コード (the first by name if a code were listed
-- under two indicators, so that a line counts once).
-- Grain: one row per code of ref_claim_codes.
-- Reads: ref_claim_codes, int_claim_indicators.

with

codes as (
    select code, indicator
    from ref_claim_codes
),

final as (
    select c.code, min(i.indicator_id) as indicator_id
    from codes as c
    inner join int_claim_indicators as i on i.indicator = c.indicator
    group by c.code
)

select code, indicator_id from final
