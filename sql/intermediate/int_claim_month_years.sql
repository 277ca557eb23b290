-- int_claim_month_years: the fiscal year of each month period and the month's place in it, so
-- that the month pattern is computed under its year's (claims_suppression.hidden_month_cells).
-- Grain: one row per period of int_claim_periods made with $period = 'month'. year_period_id is
-- the period id of the fiscal year in int_claim_year_periods (int_claim_periods made with
-- 'fiscal-year'); position: 1 April … 12 March, from ref_months (no date arithmetic).
-- Reads: int_claim_periods, int_claim_year_periods, ref_months.

with

months as (
    select distinct period_id, service_month
    from int_claim_periods
),

calendar as (
    select
        month_start,
        fy_label,
        row_number() over (partition by fy_label order by month_start) as position
    from ref_months
),

years as (
    select distinct period_id, label
    from int_claim_year_periods
),

final as (
    select m.period_id, y.period_id as year_period_id, c.position
    from months as m
    inner join calendar as c on c.month_start = m.service_month
    inner join years as y on y.label = c.fy_label
)

select period_id, year_period_id, position from final
