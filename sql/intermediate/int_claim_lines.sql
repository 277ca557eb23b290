-- int_claim_lines: claim lines of the indicators, each with its compact ids and base units.
-- Grain: one row per claim line whose 診療行為コード is in the claim-code table (other lines are
-- not counted). Read once per consumer as a view: it is a projection of claim_lines joined to
-- small relations, never stored.
--   period_id      the output period of the service month (int_claim_periods)
--   res_unit_id    base unit of the patient's 市町村コード (residence basis)
--   fac_unit_id    base unit of the billing facility (facility basis)
--   age_group_id   1 under65, 2 65to74, 3 75plus, 9 unknown (no age on the line)
-- Reads: claim_lines, int_claim_codes, int_claim_periods, int_claim_facilities,
-- int_claim_residences.

with

lines as (
    select person_id, service_month, age, residence_code5, facility_code10, act_code, times
    from claim_lines
),

final as (
    select
        p.period_id,
        c.indicator_id,
        l.person_id,
        f.facility_id,
        f.unit_id as fac_unit_id,
        l.service_month,
        r.unit_id as res_unit_id,
        case
            when l.age is null then 9
            when l.age < 65 then 1
            when l.age < 75 then 2
            else 3
        end as age_group_id,
        l.times
    from lines as l
    inner join int_claim_codes as c on c.code = l.act_code
    inner join int_claim_periods as p on p.service_month = l.service_month
    inner join int_claim_facilities as f on f.facility_code10 = l.facility_code10
    inner join int_claim_residences as r on r.residence_code5 = l.residence_code5
)

select
    period_id, indicator_id, person_id, facility_id, fac_unit_id, service_month, res_unit_id,
    age_group_id, times
from final
