-- claim_month_digests: what the claims cells of each service month are computed from, as a
-- digest (claims_cache.py keys each fiscal year's stored cells by its months' digests).
-- Grain: one row per service month with claim lines that lies in the month table, in order.
--   lines    the month's claim lines
--   content  the sum of a hash of every column the cells read (person, age, 市町村コード,
--            医療機関コード, 診療行為コード, times) with the place the bureau lists give the
--            line's facility (stg_claim_facility_locations.code5, null when none does); DuckDB's
--            hash, summed exactly (hugeint). Run on the warehouse only.
-- Reads: claim_lines, ref_months, stg_claim_facility_locations.

with

lines as (
    select person_id, age, residence_code5, facility_code10, act_code, times, service_month
    from claim_lines
),

months as (
    select month_start, month_label, fy_label
    from ref_months
),

places as (
    select facility_code10, code5
    from stg_claim_facility_locations
),

final as (
    select
        m.fy_label,
        m.month_label,
        l.service_month,
        count(*) as lines,
        sum(
            hash(
                l.person_id, l.age, l.residence_code5, l.facility_code10, l.act_code, l.times,
                f.code5
            )
        ) as content
    from lines as l
    inner join months as m on m.month_start = l.service_month
    left join places as f on f.facility_code10 = l.facility_code10
    group by m.fy_label, m.month_label, l.service_month
)

select fy_label, month_label, service_month, lines, content
from final
order by service_month
