-- stg_population_units: the 住基 population of every base unit, from the snapshot in use.
-- Grain: one row per base unit (code5): 市町村, 特別区 and 政令市 wards, i.e. the units that add
-- up without double counting (政令市 city rows and prefecture rows are their sums and are left
-- out; which units are base units comes from ref_municipalities, not from the file).
-- Snapshots: the packaged table (住基 2025-01-01, ingest_id null) and every table loaded by
-- `zaitaku ingest population`. Per prefecture the newest as_of wins; at equal dates an ingested
-- table beats the packaged one and a later ingest an earlier one. The ingest checked that a
-- table holds every base unit of each prefecture it covers, so a prefecture never mixes dates.
-- Ages: age65p and age75p are sums of the 5-year bands; under65 = total - age65p, so the groups
-- add up to the published total and under65 also holds band_gap (residents the bands leave out:
-- 6,712 nationwide in 2025, PROVENANCE.md).
-- Reads: ref_population, population_tables, ref_municipalities.

with

base_units as (
    select code5
    from ref_municipalities
    where kind in ('市', '町', '村', '特別区', '区')
),

packaged as (
    select
        cast(null as integer) as ingest_id,
        code5,
        substr(code5, 1, 2) as pref_code,
        try_cast(as_of as date) as as_of,
        source,
        try_cast(total as bigint) as total,
        try_cast(age65p as bigint) as age65p,
        try_cast(age75p as bigint) as age75p,
        try_cast(band_gap as bigint) as band_gap
    from ref_population
),

ingested as (
    select ingest_id, code5, pref_code, as_of, source, total, age65p, age75p, band_gap
    from population_tables
),

all_rows as (
    select ingest_id, code5, pref_code, as_of, source, total, age65p, age75p, band_gap
    from packaged
    union all
    select ingest_id, code5, pref_code, as_of, source, total, age65p, age75p, band_gap
    from ingested
),

snapshots as (
    select distinct pref_code, as_of, coalesce(ingest_id, 0) as snapshot_id
    from all_rows
),

ranked as (
    select
        pref_code,
        as_of,
        snapshot_id,
        row_number() over (
            partition by pref_code order by as_of desc, snapshot_id desc
        ) as snapshot_rank
    from snapshots
),

final as (
    select
        r.code5,
        r.pref_code,
        r.as_of,
        r.source,
        r.ingest_id,
        r.total,
        r.total - r.age65p as under65,
        r.age65p - r.age75p as age65to74,
        r.age65p,
        r.age75p,
        r.band_gap
    from all_rows as r
    inner join ranked as k
        on k.pref_code = r.pref_code
        and k.as_of = r.as_of
        and k.snapshot_id = coalesce(r.ingest_id, 0)
    inner join base_units as b on b.code5 = r.code5
    where k.snapshot_rank = 1
)

select
    code5, pref_code, as_of, source, ingest_id,
    total, under65, age65to74, age65p, age75p, band_gap
from final
