-- stg_facility_counts_selected: the count-table rows of the snapshot each prefecture is shown at.
-- Grain: one row per (pref_code, code5, category) of facility_counts, of the snapshot $as_of when
-- given, else the latest per prefecture (an undated table counts as older than any dated one).
-- Reads facility_counts, ingest_log.

with

snapshots as (
    select pref_code, max(coalesce(as_of, date '1900-01-01')) as as_of_key
    from facility_counts
    where cast($as_of as date) is null or as_of = cast($as_of as date)
    group by pref_code
),

final as (
    select c.as_of, c.pref_code, c.code5, c.category, c.facilities, l.file_name
    from facility_counts as c
    inner join snapshots as s
        on s.pref_code = c.pref_code and s.as_of_key = coalesce(c.as_of, date '1900-01-01')
    inner join ingest_log as l on l.ingest_id = c.ingest_id
)

select as_of, pref_code, code5, category, facilities, file_name from final
