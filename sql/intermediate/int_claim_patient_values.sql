-- int_claim_patient_values: 実患者数 (patients) per base unit, as a long table.
-- Grain: one row per (unit, basis, period_id, indicator_id, unit_id, age_group_id[, entity_id]),
-- unit = 'patients'. Patients are not additive across areas or age groups, so:
--   entity_id null: the patients "simple" on the basis (one unit, one age group in the period,
--     int_claim_person_spans) counted per unit; each is in exactly one cell of every level, so
--     these add up; age_group_id 0 is the total;
--   entity_id = person_id: a patient seen in several units or age groups is present in each; the
--     cells count such a person once per cell (int_claim_presence).
-- The two sets of persons are disjoint on each basis, so a cell's patients is their sum.
-- Reads: int_claim_person_spans, int_claim_person_places.

with

spans as (
    select period_id, indicator_id, person_id, residence_simple, facility_simple, res_unit_id,
        fac_unit_id, age_group_id
    from int_claim_person_spans
),

places as (
    select period_id, indicator_id, person_id, res_unit_id, fac_unit_id, age_group_id
    from int_claim_person_places
),

simple_residence as (
    select
        period_id, indicator_id, res_unit_id as unit_id, age_group_id,
        grouping(age_group_id) as is_total, count(*) as patients
    from spans
    where residence_simple
    group by grouping sets (
        (period_id, indicator_id, res_unit_id, age_group_id),
        (period_id, indicator_id, res_unit_id)
    )
),

simple_facility as (
    select
        period_id, indicator_id, fac_unit_id as unit_id, age_group_id,
        grouping(age_group_id) as is_total, count(*) as patients
    from spans
    where facility_simple
    group by grouping sets (
        (period_id, indicator_id, fac_unit_id, age_group_id),
        (period_id, indicator_id, fac_unit_id)
    )
),

complex_residence as (
    select p.period_id, p.indicator_id, p.res_unit_id as unit_id, p.age_group_id, p.person_id
    from places as p
    inner join spans as s
        on s.period_id = p.period_id
        and s.indicator_id = p.indicator_id
        and s.person_id = p.person_id
    where not s.residence_simple
    group by p.period_id, p.indicator_id, p.res_unit_id, p.age_group_id, p.person_id
),

complex_facility as (
    select p.period_id, p.indicator_id, p.fac_unit_id as unit_id, p.age_group_id, p.person_id
    from places as p
    inner join spans as s
        on s.period_id = p.period_id
        and s.indicator_id = p.indicator_id
        and s.person_id = p.person_id
    where not s.facility_simple
    group by p.period_id, p.indicator_id, p.fac_unit_id, p.age_group_id, p.person_id
),

final as (
    select 'patients' as unit, 'residence' as basis, period_id, indicator_id, unit_id,
        case when is_total = 1 then 0 else age_group_id end as age_group_id,
        cast(null as bigint) as entity_id, cast(patients as bigint) as value
    from simple_residence
    union all
    select 'patients' as unit, 'facility' as basis, period_id, indicator_id, unit_id,
        case when is_total = 1 then 0 else age_group_id end as age_group_id,
        cast(null as bigint) as entity_id, cast(patients as bigint) as value
    from simple_facility
    union all
    select 'patients' as unit, 'residence' as basis, period_id, indicator_id, unit_id,
        age_group_id, person_id as entity_id, cast(1 as bigint) as value
    from complex_residence
    union all
    select 'patients' as unit, 'facility' as basis, period_id, indicator_id, unit_id,
        age_group_id, person_id as entity_id, cast(1 as bigint) as value
    from complex_facility
)

select unit, basis, period_id, indicator_id, unit_id, age_group_id, entity_id, value from final
