-- int_claim_distinct_totals: the non-additive entities (patients spanning several units or age
-- groups, claims whose lines disagree, facilities on the residence basis) counted once per cell
-- of every level, by total (all age groups: an entity present at two ages counts once).
-- Grain: one row per (unit, basis, period_id, indicator_id, level_id, area_id, age_group_id);
-- value = distinct entity_id present in the area's units (one count(distinct) per query).
-- Reads: int_claim_claim_values, int_claim_patient_values, int_claim_facility_values,
-- int_claim_unit_area_ids.

with

present as (
    select unit, basis, period_id, indicator_id, unit_id, age_group_id, entity_id
    from int_claim_claim_values
    where entity_id is not null
    union all
    select unit, basis, period_id, indicator_id, unit_id, age_group_id, entity_id
    from int_claim_patient_values
    where entity_id is not null
    union all
    select unit, basis, period_id, indicator_id, unit_id, age_group_id, entity_id
    from int_claim_facility_values
    where entity_id is not null
),

final as (
    select
        p.unit, p.basis, p.period_id, p.indicator_id, a.level_id, a.area_id, 0 as age_group_id,
        count(distinct p.entity_id) as value
    from present as p
    inner join int_claim_unit_area_ids as a on a.unit_id = p.unit_id
    group by p.unit, p.basis, p.period_id, p.indicator_id, a.level_id, a.area_id
)

select unit, basis, period_id, indicator_id, level_id, area_id, age_group_id, value from final
