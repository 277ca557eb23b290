-- int_claim_facility_values: billing facilities (distinct 医療機関コード) per base unit, long.
-- Grain: one row per (unit, basis, period_id, indicator_id, unit_id, age_group_id[, entity_id]),
-- unit = 'facilities'.
--   facility basis: a facility lies in one unit, so distinct facilities per unit add up to any
--     level (entity_id null; age_group_id 0: distinct facilities over all ages);
--   residence basis: a facility serves residents of many units: present per unit and age group
--     (entity_id = facility_id), counted once per cell by int_claim_presence.
-- Reads: int_claim_facility_places.

with

places as (
    select period_id, indicator_id, facility_id, fac_unit_id, res_unit_id, age_group_id
    from int_claim_facility_places
),

by_age as (
    select period_id, indicator_id, fac_unit_id, age_group_id, facility_id
    from places
    group by period_id, indicator_id, fac_unit_id, age_group_id, facility_id
),

located as (
    select period_id, indicator_id, fac_unit_id, facility_id
    from places
    group by period_id, indicator_id, fac_unit_id, facility_id
),

served as (
    select period_id, indicator_id, res_unit_id, age_group_id, facility_id
    from places
    group by period_id, indicator_id, res_unit_id, age_group_id, facility_id
),

final as (
    select 'facilities' as unit, 'facility' as basis, period_id, indicator_id,
        fac_unit_id as unit_id, age_group_id, cast(null as bigint) as entity_id,
        cast(count(*) as bigint) as value
    from by_age
    group by period_id, indicator_id, fac_unit_id, age_group_id
    union all
    select 'facilities' as unit, 'facility' as basis, period_id, indicator_id,
        fac_unit_id as unit_id, 0 as age_group_id, cast(null as bigint) as entity_id,
        cast(count(*) as bigint) as value
    from located
    group by period_id, indicator_id, fac_unit_id
    union all
    select 'facilities' as unit, 'residence' as basis, period_id, indicator_id,
        res_unit_id as unit_id, age_group_id, facility_id as entity_id,
        cast(1 as bigint) as value
    from served
)

select unit, basis, period_id, indicator_id, unit_id, age_group_id, entity_id, value from final
