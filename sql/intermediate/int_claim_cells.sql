-- int_claim_cells: every non-zero cell of every level, both plans, as a long table of units.
-- Grain: one row per (period_id, level_id, area_id, indicator_id, basis, age_group_id, unit);
-- unit in patients, claims, count, facilities; age_group_id 0 = total. A cell's value = the sum
-- of the additive values of its units + the distinct entities present in it (the two are
-- disjoint sets of persons, claims or facilities). Cells with nothing counted are absent (0).
-- Reads: int_claim_claim_values, int_claim_patient_values, int_claim_facility_values,
-- int_claim_distinct_by_age, int_claim_distinct_totals, int_claim_unit_area_ids.

with

additive as (
    select unit, basis, period_id, indicator_id, unit_id, age_group_id, value
    from int_claim_claim_values
    where entity_id is null
    union all
    select unit, basis, period_id, indicator_id, unit_id, age_group_id, value
    from int_claim_patient_values
    where entity_id is null
    union all
    select unit, basis, period_id, indicator_id, unit_id, age_group_id, value
    from int_claim_facility_values
    where entity_id is null
),

added as (
    select
        v.unit, v.basis, v.period_id, v.indicator_id, a.level_id, a.area_id, v.age_group_id,
        sum(v.value) as value
    from additive as v
    inner join int_claim_unit_area_ids as a on a.unit_id = v.unit_id
    group by v.unit, v.basis, v.period_id, v.indicator_id, a.level_id, a.area_id, v.age_group_id
),

parts as (
    select unit, basis, period_id, indicator_id, level_id, area_id, age_group_id, value
    from added
    union all
    select unit, basis, period_id, indicator_id, level_id, area_id, age_group_id, value
    from int_claim_distinct_by_age
    union all
    select unit, basis, period_id, indicator_id, level_id, area_id, age_group_id, value
    from int_claim_distinct_totals
),

final as (
    select
        period_id, level_id, area_id, indicator_id, basis, age_group_id, unit,
        cast(sum(value) as bigint) as value
    from parts
    group by period_id, level_id, area_id, indicator_id, basis, age_group_id, unit
)

select period_id, level_id, area_id, indicator_id, basis, age_group_id, unit, value from final
