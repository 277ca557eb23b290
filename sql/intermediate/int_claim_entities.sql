-- int_claim_entities: the non-additive entities (patients spanning several units or age groups,
-- claims whose lines disagree, facilities on the residence basis) present in each base unit.
-- Grain: one row per (kind_id, period_id, indicator_id, unit_id, age_group_id, entity_id), as
-- the values tables hold them (each entity once per unit and age group). The (unit, basis) pair
-- travels as a small integer kind_id (int_claim_kinds): the distinct counts hash integers, not
-- texts. Read by int_claim_distinct_by_age and int_claim_distinct_totals (a view on DuckDB).
-- Reads: int_claim_claim_values, int_claim_patient_values, int_claim_facility_values.

with

claims as (
    select
        case when basis = 'residence' then 3 else 4 end as kind_id,
        period_id, indicator_id, unit_id, age_group_id, entity_id
    from int_claim_claim_values
    where entity_id is not null
),

patients as (
    select
        case when basis = 'residence' then 1 else 2 end as kind_id,
        period_id, indicator_id, unit_id, age_group_id, entity_id
    from int_claim_patient_values
    where entity_id is not null
),

facilities as (
    select
        case when basis = 'residence' then 5 else 6 end as kind_id,
        period_id, indicator_id, unit_id, age_group_id, entity_id
    from int_claim_facility_values
    where entity_id is not null
),

final as (
    select kind_id, period_id, indicator_id, unit_id, age_group_id, entity_id from claims
    union all
    select kind_id, period_id, indicator_id, unit_id, age_group_id, entity_id from patients
    union all
    select kind_id, period_id, indicator_id, unit_id, age_group_id, entity_id from facilities
)

select kind_id, period_id, indicator_id, unit_id, age_group_id, entity_id from final
