-- int_claim_person_spans: how many places and ages a patient spans in a period, per basis.
-- Grain: one row per (period_id, indicator_id, person_id). A patient with one residence unit and
-- one age group is "simple" on the residence basis: it counts once in that unit's cell of its age
-- group and of the total, at every level, so such patients are added up (int_claim_patient_values);
-- the others are counted distinct per cell. The same on the facility basis with fac_unit_id.
-- Reads: int_claim_person_places.

with

places as (
    select period_id, indicator_id, person_id, res_unit_id, fac_unit_id, age_group_id
    from int_claim_person_places
),

final as (
    select
        period_id,
        indicator_id,
        person_id,
        min(res_unit_id) = max(res_unit_id) and min(age_group_id) = max(age_group_id)
            as residence_simple,
        min(fac_unit_id) = max(fac_unit_id) and min(age_group_id) = max(age_group_id)
            as facility_simple,
        min(res_unit_id) as res_unit_id,
        min(fac_unit_id) as fac_unit_id,
        min(age_group_id) as age_group_id
    from places
    group by period_id, indicator_id, person_id
)

select
    period_id, indicator_id, person_id, residence_simple, facility_simple, res_unit_id,
    fac_unit_id, age_group_id
from final
