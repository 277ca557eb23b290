-- facility_activity: what each billing facility did in one fiscal year, for the per-facility
-- listings (candidates, registered but inactive) and their counts per area.
-- Grain: one row per (facility_code10, indicator) with at least one claim line of the
-- indicator in fiscal year $period ('FY2023'); indicators houmon_shinryo 訪問診療, oushin 往診,
-- mitori 看取り. A facility without such lines has no row (its activity is 0).
--   patients  実患者数: distinct persons billed by the facility in the year
--   count     算定回数: sum of times
-- Before any disclosure control: callers suppress small values before anything is written.
-- The fiscal year comes from ref_months (no date arithmetic). Codes map to one indicator each,
-- as in claims_by_area.
-- Reads: claim_lines, ref_claim_codes, ref_months. Parameters: $period.

with

codes as (
    select code, min(indicator) as indicator
    from ref_claim_codes
    where indicator in ('houmon_shinryo', 'oushin', 'mitori')
    group by code
),

months as (
    select month_start
    from ref_months
    where fy_label = $period
),

lines as (
    select l.facility_code10, c.indicator, l.person_id, l.times
    from claim_lines as l
    inner join codes as c on c.code = l.act_code
    inner join months as m on m.month_start = l.service_month
),

final as (
    select
        facility_code10,
        indicator,
        count(distinct person_id) as patients,
        cast(sum(times) as bigint) as count
    from lines
    group by facility_code10, indicator
)

select facility_code10, indicator, patients, count from final
