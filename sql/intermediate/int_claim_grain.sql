-- int_claim_grain: one row per claim (レセプト): person × facility × service month, per indicator.
-- Grain: (period_id, indicator_id, person_id, facility_id, service_month); fac_unit_id follows
-- from the facility. A claim has one residence and one age in practice (one レセプト, one patient
-- record): then res_unit_first = res_unit_last and age_first = age_last, and the claim is a
-- "single" claim counted additively. The rare claim whose lines disagree is counted exactly from
-- its pieces (int_claim_multi_pieces).
-- Reads: int_claim_lines.

with

lines as (
    select
        period_id, indicator_id, person_id, facility_id, fac_unit_id, service_month,
        res_unit_id, age_group_id, times
    from int_claim_lines
),

final as (
    select
        period_id,
        indicator_id,
        person_id,
        facility_id,
        fac_unit_id,
        service_month,
        min(res_unit_id) as res_unit_first,
        max(res_unit_id) as res_unit_last,
        min(age_group_id) as age_first,
        max(age_group_id) as age_last,
        sum(times) as times
    from lines
    group by period_id, indicator_id, person_id, facility_id, fac_unit_id, service_month
)

select
    period_id, indicator_id, person_id, facility_id, fac_unit_id, service_month,
    res_unit_first, res_unit_last, age_first, age_last, times
from final
