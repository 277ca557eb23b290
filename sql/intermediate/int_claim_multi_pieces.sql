-- int_claim_multi_pieces: the pieces of the claims whose lines disagree on residence unit or age
-- group (a move within the month, a birthday on a band boundary).
-- Grain: one row per (claim, res_unit_id, age_group_id); claim_id numbers these claims (a key
-- column, so that later steps count distinct claims without a multi-column distinct).
-- Reads: int_claim_grain, int_claim_lines.

with

multi as (
    select period_id, indicator_id, person_id, facility_id, service_month
    from int_claim_grain
    where res_unit_first <> res_unit_last or age_first <> age_last
),

keyed as (
    select
        period_id, indicator_id, person_id, facility_id, service_month,
        row_number() over (
            order by period_id, indicator_id, person_id, facility_id, service_month
        ) as claim_id
    from multi
),

final as (
    select
        k.claim_id,
        l.period_id,
        l.indicator_id,
        l.person_id,
        l.facility_id,
        l.fac_unit_id,
        l.res_unit_id,
        l.age_group_id,
        sum(l.times) as times
    from int_claim_lines as l
    inner join keyed as k
        on k.period_id = l.period_id
        and k.indicator_id = l.indicator_id
        and k.person_id = l.person_id
        and k.facility_id = l.facility_id
        and k.service_month = l.service_month
    group by
        k.claim_id, l.period_id, l.indicator_id, l.person_id, l.facility_id, l.fac_unit_id,
        l.res_unit_id, l.age_group_id
)

select
    claim_id, period_id, indicator_id, person_id, facility_id, fac_unit_id, res_unit_id,
    age_group_id, times
from final
