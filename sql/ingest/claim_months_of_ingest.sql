-- claim_months_of_ingest: the service months of the lines ingest $ingest_id holds, for its summary.
-- Grain: one row per service month ('YYYY-MM'), with its claim lines and (保険者番号, 診療年月)
-- pairs, in month order.
-- Reads: claim_pairs. Parameters: $ingest_id.

with

pairs as (
    select service_month, lines
    from claim_pairs
    where ingest_id = $ingest_id
),

final as (
    select
        service_month,
        sum(lines) as lines,
        count(*) as pairs
    from pairs
    group by service_month
)

select strftime(service_month, '%Y-%m') as month, lines, pairs
from final
order by service_month
