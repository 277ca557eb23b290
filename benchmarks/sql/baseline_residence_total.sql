-- A floor for the benchmark, not its baseline: ONE hand-written DuckDB query computing only the
-- residence basis, all ages (patients, claims and count per fiscal year × municipality code ×
-- indicator) — one cell in eight of claims_by_municipality (2 bases × total and 3 age groups),
-- without facilities. It shows how fast the simplest part of the job can be.
-- $paths: the extract as UTF-8 CSV; $codes: claim_codes.csv.

with

codes as (
    select code, min(indicator) as indicator
    from read_csv($codes, all_varchar = true)
    group by code
),

lines as (
    select * from read_csv($paths, all_varchar = true, header = true)
)

select
    case
        when cast(substr(l."診療年月", 5, 2) as integer) >= 4
            then 'FY' || substr(l."診療年月", 1, 4)
        else 'FY' || cast(cast(substr(l."診療年月", 1, 4) as integer) - 1 as varchar)
    end as period,
    substr(l."市町村コード", 1, 5) as area_code,
    c.indicator,
    'residence' as basis,
    'total' as age_group,
    count(distinct l."被保険者番号") as patients,
    count(distinct l."被保険者番号" || '|' || l."医療機関コード" || '|' || l."診療年月") as claims,
    sum(cast(l."算定回数" as integer)) as count
from lines as l
inner join codes as c on c.code = l."診療行為コード"
group by 1, 2, 3
