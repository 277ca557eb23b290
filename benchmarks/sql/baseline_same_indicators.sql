-- The benchmark's baseline: ONE hand-written DuckDB query computing, straight from the extract,
-- the indicators `aggregate --by municipality` writes to claims_by_municipality — per fiscal
-- year × municipality × indicator × basis (residence, facility) × age group (total, under65,
-- 65to74, 75plus, unknown): patients, claims, count and facilities. Written the way an analyst
-- would: count(distinct …) under grouping sets over the lines of both bases.
-- $paths: the extract as UTF-8 CSV; $codes: claim_codes.csv; $municipalities:
-- municipalities.csv (wards count in their city at municipality level).
-- Facility basis: the benchmark places 85 % of the facilities in a municipality of their
-- prefecture by code (the same rule bench_claims gives ours as a bureau list); the rest, and
-- residence codes in no list, count under the prefecture's unknown area pref || '999'.

with

codes as (
    select code, min(indicator) as indicator
    from read_csv($codes, all_varchar = true)
    group by code
),

municipalities as (
    select
        code5,
        pref_code,
        kind,
        case when kind = '区' then parent_code5 else code5 end as area_code
    from read_csv($municipalities, all_varchar = true)
),

places as (
    select
        pref_code,
        area_code,
        row_number() over (partition by pref_code order by code5) - 1 as place,
        count(*) over (partition by pref_code) as places
    from municipalities
    where kind in ('市', '町', '村', '区', '特別区')
),

lines as (
    select
        case
            when cast(substr(l."診療年月", 5, 2) as integer) >= 4
                then 'FY' || substr(l."診療年月", 1, 4)
            else 'FY' || cast(cast(substr(l."診療年月", 1, 4) as integer) - 1 as varchar)
        end as period,
        c.indicator,
        l."被保険者番号" as person,
        l."医療機関コード" as facility,
        l."診療年月" as month,
        cast(l."算定回数" as integer) as times,
        case
            when l."年齢" is null then 'unknown'
            when cast(l."年齢" as integer) < 65 then 'under65'
            when cast(l."年齢" as integer) < 75 then '65to74'
            else '75plus'
        end as age_group,
        coalesce(m.area_code, substr(l."市町村コード", 1, 2) || '999') as residence_area,
        coalesce(p.area_code, substr(l."医療機関コード", 1, 2) || '999') as facility_area
    from read_csv($paths, all_varchar = true, header = true) as l
    inner join codes as c on c.code = l."診療行為コード"
    left join municipalities as m on m.code5 = substr(l."市町村コード", 1, 5)
    left join places as p
        on p.pref_code = substr(l."医療機関コード", 1, 2)
        and cast(substr(l."医療機関コード", 4) as bigint) % 100 < 85
        and p.place = cast(substr(l."医療機関コード", 4) as bigint) % p.places
),

by_basis as (
    select 'residence' as basis, residence_area as area_code, period, indicator, person,
        facility, month, times, age_group
    from lines
    union all
    select 'facility' as basis, facility_area as area_code, period, indicator, person,
        facility, month, times, age_group
    from lines
)

select
    period,
    area_code,
    indicator,
    basis,
    coalesce(age_group, 'total') as age_group,
    count(distinct person) as patients,
    count(distinct person || '|' || facility || '|' || month) as claims,
    sum(times) as count,
    count(distinct facility) as facilities
from by_basis
group by grouping sets (
    (period, area_code, indicator, basis, age_group),
    (period, area_code, indicator, basis)
)
