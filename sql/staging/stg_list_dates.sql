-- stg_list_dates: the list dates the warehouse holds, of bureau lists and of count tables: the
-- snapshots `aggregate --as-of` may name.
-- Grain: one row per as_of (undated count tables are not a snapshot one can name).
-- Reads facility_notifications, facility_counts.

with

list_dates as (
    select as_of from facility_notifications
    union
    select as_of from facility_counts
),

final as (
    select as_of from list_dates where as_of is not null
)

select as_of from final
order by as_of
