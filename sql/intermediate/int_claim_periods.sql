-- int_claim_periods: the output period of each service month, with a compact id.
-- Grain: one row per month of ref_months. label: fy_label ('FY2023', April–March) when
-- $period = 'fiscal-year', month_label ('2023-04') when $period = 'month'; never date arithmetic.
-- Parameters: $period.
-- Reads: ref_months.

with

months as (
    select
        month_start,
        case when $period = 'month' then month_label else fy_label end as label
    from ref_months
),

labels as (
    select label, row_number() over (order by label) as period_id
    from (select distinct label from months) as l
),

final as (
    select m.month_start as service_month, l.period_id, l.label
    from months as m
    inner join labels as l on l.label = m.label
)

select service_month, period_id, label from final
