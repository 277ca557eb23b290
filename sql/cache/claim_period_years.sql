-- claim_period_years: the fiscal year of each period of this run's int_claim_periods (a fiscal
-- year, or a month in it), so that claims_cache.py stores each fiscal year's cells apart.
-- Grain: one row per period_id.
-- Reads: int_claim_periods, ref_months.

with

periods as (
    select service_month, period_id
    from int_claim_periods
),

months as (
    select month_start, fy_label
    from ref_months
),

final as (
    select distinct p.period_id, m.fy_label as fiscal_year
    from periods as p
    inner join months as m on m.month_start = p.service_month
)

select period_id, fiscal_year from final
