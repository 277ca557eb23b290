-- claim_cache_months: the month table (it numbers the periods of every stored block and places
-- months in fiscal years: claims_cache.py digests it).
-- Grain: one row per month, in order.
-- Reads: ref_months.

with

final as (
    select month_start, month_label, fy_label
    from ref_months
)

select month_start, month_label, fy_label
from final
order by month_start
