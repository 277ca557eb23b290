-- int_claim_person_places: where and at what age each patient was seen in a period.
-- Grain: one row per (period_id, indicator_id, person_id, res_unit_id, fac_unit_id,
-- age_group_id), from the single claims and the pieces of the others.
-- Reads: int_claim_grain, int_claim_multi_pieces.

with

pieces as (
    select period_id, indicator_id, person_id, res_unit_first as res_unit_id, fac_unit_id,
        age_first as age_group_id
    from int_claim_grain
    where res_unit_first = res_unit_last and age_first = age_last
    union all
    select period_id, indicator_id, person_id, res_unit_id, fac_unit_id, age_group_id
    from int_claim_multi_pieces
),

final as (
    select period_id, indicator_id, person_id, res_unit_id, fac_unit_id, age_group_id
    from pieces
    group by period_id, indicator_id, person_id, res_unit_id, fac_unit_id, age_group_id
)

select period_id, indicator_id, person_id, res_unit_id, fac_unit_id, age_group_id from final
