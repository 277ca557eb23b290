-- int_claim_distinct_by_age: the non-additive entities (patients spanning several units or age
-- groups, claims whose lines disagree, facilities on the residence basis) counted once per cell
-- of every level, by age group.
-- Grain: one row per (unit, basis, period_id, indicator_id, level_id, area_id, age_group_id);
-- value = distinct entity_id present in the area's units. The values tables hold each entity
-- once per (unit, age group), so an area of one unit counts its rows as they are; an area of
-- several units counts distinct (cell, entity) pairs (no count(distinct)). The (unit, basis)
-- pair travels as a small integer kind_id and area_id alone names the level: hashing integers
-- instead of texts, and de-duplicating only where units merge, cut this step, the largest of
-- the cells (each entity row is repeated once per level), to a third.
-- Reads: int_claim_entities, int_claim_kinds, int_claim_unit_area_ids, int_claim_areas.

with

present as (
    select kind_id, period_id, indicator_id, unit_id, age_group_id, entity_id
    from int_claim_entities
),

-- one read of the entity rows (Spark would compute a CTE read twice twice): an area of one
-- unit keeps entity_id null, so its rows group per cell; an area of several groups per
-- (cell, entity), each pair counting once
placed as (
    select
        p.kind_id,
        p.period_id,
        p.indicator_id,
        a.area_id,
        p.age_group_id,
        case when a.area_units > 1 then p.entity_id end as entity_id
    from present as p
    inner join int_claim_unit_area_ids as a on a.unit_id = p.unit_id
),

grouped as (
    select kind_id, period_id, indicator_id, area_id, age_group_id, entity_id, count(*) as n
    from placed
    group by kind_id, period_id, indicator_id, area_id, age_group_id, entity_id
),

counted as (
    select
        kind_id, period_id, indicator_id, area_id, age_group_id,
        sum(case when entity_id is null then n else 1 end) as value
    from grouped
    group by kind_id, period_id, indicator_id, area_id, age_group_id
),

kinds as (
    select kind_id, unit, basis
    from int_claim_kinds
),

final as (
    select
        k.unit, k.basis, c.period_id, c.indicator_id, a.level_id, c.area_id, c.age_group_id,
        c.value
    from counted as c
    inner join kinds as k on k.kind_id = c.kind_id
    inner join int_claim_areas as a on a.area_id = c.area_id
)

select unit, basis, period_id, indicator_id, level_id, area_id, age_group_id, value from final
