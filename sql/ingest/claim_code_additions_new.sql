-- claim_code_additions_new: codes chosen from a 医科診療行為マスター as claim_code_additions keeps
-- them, stamped with the time they are added (`zaitaku codes add`).
-- Grain: one row per code of claim_code_additions_in (built in Python: the chosen codes, none of
-- the packaged table).
-- Reads: claim_code_additions_in.

with

chosen as (
    select code, kubun, name, indicator, seen_in, source
    from claim_code_additions_in
),

final as (
    select
        code,
        kubun,
        name,
        indicator,
        seen_in,
        source,
        current_localtimestamp() as added_at
    from chosen
)

select code, kubun, name, indicator, seen_in, source, added_at from final
