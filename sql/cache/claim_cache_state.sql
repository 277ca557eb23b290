-- claim_cache_state: a cheap fingerprint of what the claims cells depend on, for what one
-- connection has computed already (claims_cache.connection_state; not for the stored cells,
-- which claim_month_digests keys). A change of claim lines, bureau lists or added codes changes it.
-- Grain: one row.
-- Reads: claim_lines, facility_notifications, claim_code_additions.

with

lines as (
    select
        count(*) as lines,
        coalesce(sum(ingest_id), 0) as line_ingests,
        coalesce(sum(source_row), 0) as line_rows
    from claim_lines
),

notifications as (
    select count(*) as notifications, coalesce(sum(ingest_id), 0) as notification_ingests
    from facility_notifications
),

additions as (
    select count(*) as code_additions
    from claim_code_additions
),

final as (
    select
        l.lines, l.line_ingests, l.line_rows, n.notifications, n.notification_ingests,
        a.code_additions
    from lines as l
    cross join notifications as n
    cross join additions as a
)

select lines, line_ingests, line_rows, notifications, notification_ingests, code_additions
from final
