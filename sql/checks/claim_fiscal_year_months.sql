-- claim_fiscal_year_months: how many service months of each fiscal year the claim lines cover, to
-- choose the base year of a projection (the latest with all 12) and to warn about a part year.
-- Grain: one row per fiscal year label ('FY2023') with claims, in order.
-- Reads: claim_lines, ref_months (fiscal years come from the month table, not date arithmetic).

with

claim_months as (
    select distinct service_month from claim_lines
),

months as (
    select month_start, fy_label from ref_months
),

final as (
    select m.fy_label, count(*) as months
    from claim_months as l
    inner join months as m on m.month_start = l.service_month
    group by m.fy_label
)

select fy_label, months
from final
order by fy_label
