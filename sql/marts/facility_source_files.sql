-- facility_source_files: the files each (source, list date, prefecture) of facilities_by_area
-- was counted from, for its source_file column (joined in Python: a list of names per group has
-- no portable SQL aggregate).
-- Grain: one row per (source, as_of, pref_code, file_name).
-- Reads facility_notifications, ingest_log, stg_facility_categories and
-- stg_facility_counts_selected (materialised for this run).

with

bureau_snapshots as (
    select distinct as_of, pref_code
    from stg_facility_categories
),

bureau_files as (
    select distinct 'bureau_list' as source, n.as_of, n.pref_code, l.file_name
    from facility_notifications as n
    inner join bureau_snapshots as s on s.as_of = n.as_of and s.pref_code = n.pref_code
    inner join ingest_log as l on l.ingest_id = n.ingest_id
),

count_files as (
    select distinct 'count_table' as source, as_of, pref_code, file_name
    from stg_facility_counts_selected
),

final as (
    select source, as_of, pref_code, file_name from bureau_files
    union all
    select source, as_of, pref_code, file_name from count_files
)

select source, as_of, pref_code, file_name from final
