-- int_claim_facility_places: which billing facilities served which residence unit and age group.
-- Grain: one row per (period_id, indicator_id, facility_id, fac_unit_id, res_unit_id,
-- age_group_id), from the single claims and the pieces of the others. Small: facilities × the
-- units their patients live in.
-- Reads: int_claim_grain, int_claim_multi_pieces.

with

pieces as (
    select period_id, indicator_id, facility_id, fac_unit_id, res_unit_first as res_unit_id,
        age_first as age_group_id
    from int_claim_grain
    where res_unit_first = res_unit_last and age_first = age_last
    union all
    select period_id, indicator_id, facility_id, fac_unit_id, res_unit_id, age_group_id
    from int_claim_multi_pieces
),

final as (
    select period_id, indicator_id, facility_id, fac_unit_id, res_unit_id, age_group_id
    from pieces
    group by period_id, indicator_id, facility_id, fac_unit_id, res_unit_id, age_group_id
)

select period_id, indicator_id, facility_id, fac_unit_id, res_unit_id, age_group_id from final
