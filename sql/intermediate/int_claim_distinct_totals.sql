-- int_claim_distinct_totals: the non-additive entities (patients spanning several units or age
-- groups, claims whose lines disagree, facilities on the residence basis) counted once per cell
-- of every level, by total (all age groups: an entity present at two ages counts once).
-- Grain: one row per (unit, basis, period_id, indicator_id, level_id, area_id, age_group_id),
-- age_group_id 0; value = distinct entity_id present in the area's units. Entities are made
-- distinct per unit first (over age groups); an area of one unit then counts its rows as they
-- are, an area of several units counts distinct (cell, entity) pairs (no count(distinct)).
-- Integer keys as in int_claim_distinct_by_age.
-- Reads: int_claim_entities, int_claim_kinds, int_claim_unit_area_ids, int_claim_areas.

with

present as (
    select kind_id, period_id, indicator_id, unit_id, entity_id
    from int_claim_entities
),

entities as (
    select kind_id, period_id, indicator_id, unit_id, entity_id
    from present
    group by kind_id, period_id, indicator_id, unit_id, entity_id
),

-- one read of the entities, as in int_claim_distinct_by_age: an area of one unit keeps
-- entity_id null (its rows group per cell), an area of several groups per (cell, entity)
placed as (
    select
        e.kind_id,
        e.period_id,
        e.indicator_id,
        a.area_id,
        case when a.area_units > 1 then e.entity_id end as entity_id
    from entities as e
    inner join int_claim_unit_area_ids as a on a.unit_id = e.unit_id
),

grouped as (
    select kind_id, period_id, indicator_id, area_id, entity_id, count(*) as n
    from placed
    group by kind_id, period_id, indicator_id, area_id, entity_id
),

counted as (
    select
        kind_id, period_id, indicator_id, area_id,
        sum(case when entity_id is null then n else 1 end) as value
    from grouped
    group by kind_id, period_id, indicator_id, area_id
),

kinds as (
    select kind_id, unit, basis
    from int_claim_kinds
),

final as (
    select
        k.unit, k.basis, c.period_id, c.indicator_id, a.level_id, c.area_id,
        0 as age_group_id, c.value
    from counted as c
    inner join kinds as k on k.kind_id = c.kind_id
    inner join int_claim_areas as a on a.area_id = c.area_id
)

select unit, basis, period_id, indicator_id, level_id, area_id, age_group_id, value from final
