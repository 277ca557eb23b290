-- stg_claim_dates: each distinct 診療年月 (with 元号) and 生年月日 of a claims extract, read and
-- checked: the one place the SQL reads 和暦 (readers/wareki.py is the Python one).
-- Grain: one row per distinct (kind, text, era_raw): kind 'month' for each (trimmed 診療年月,
-- trimmed 元号) of raw_claim_lines; kind 'birth' for each trimmed, non-empty 生年月日 of the lines
-- whose 年齢 is empty (era_raw ''). An extract of ten million lines holds a few dozen months and
-- some thousands of birth dates: each is parsed once, and stg_claim_lines joins back.
-- value is the month's first day or the birth date (null when the text is none); reason says
-- why the text is refused (null = fine), failed_column which column to blame (service_month,
-- era or birth_date).
-- Forms (domain.md §4): months 202304, 2023/04, R05.04, 令和5年4月, 50504 (KDB: era digit, then
-- YYMM) and 5.04 beside a 元号 column; dates 19450315, 1945/03/15, S20.03.15, 昭和20年3月15日,
-- 3200315. An era is written as its name 令和, letter R or r, or KDB digit 5 (1 明治 … 5 令和,
-- the order of ref_eras); year n of an era is its first year + n - 1, 元年 its first year.
-- Reads raw_claim_lines, claim_value_map (the mapping file's [values.era]), ref_eras (registered
-- by ingest_claims from readers/wareki.py) and ref_months (the months zaitaku covers).
-- Patterns are anchored (^…$) regexp_matches, which transpiles to Spark's rlike.

with

value_map as (
    select column_key, from_value, to_value
    from claim_value_map
),

era_tokens as (
    select era_name as token, era_code, first_year, starts, ends from ref_eras
    union all
    select era_letter as token, era_code, first_year, starts, ends from ref_eras
    union all
    select lower(era_letter) as token, era_code, first_year, starts, ends from ref_eras
    union all
    select cast(era_code as varchar) as token, era_code, first_year, starts, ends from ref_eras
),

months as (
    select month_start
    from ref_months
),

month_range as (
    select
        substr(cast(min(month_start) as varchar), 1, 7) as first_month,
        substr(cast(max(month_start) as varchar), 1, 7) as last_month
    from months
),

month_values as (
    select distinct
        coalesce(trim(service_month), '') as text,
        coalesce(trim(era), '') as era_raw
    from raw_claim_lines
),

birth_values as (
    select distinct coalesce(trim(birth_date), '') as text
    from raw_claim_lines
    where coalesce(trim(age), '') = '' and coalesce(trim(birth_date), '') <> ''
),

date_values as (
    select 'month' as kind, text, era_raw from month_values
    union all
    select 'birth' as kind, text, '' as era_raw from birth_values
),

date_texts as (
    select
        v.kind,
        v.text,
        v.era_raw,
        coalesce(era_map.to_value, v.era_raw) as era,
        -- full-width digits, letters and separators as typed in Excel
        translate(
            v.text, '０１２３４５６７８９／．－ＭＴＳＨＲｍｔｓｈｒ　', '0123456789/.-MTSHRmtshr '
        ) as d
    from date_values as v
    left join value_map as era_map
        on era_map.column_key = 'era' and era_map.from_value = v.era_raw
),

date_forms as (
    select
        kind,
        text,
        era_raw,
        era,
        d,
        case
            -- 202304, 2023/04
            when kind = 'month' and regexp_matches(d, '^[0-9]{6}$') then 'western'
            when kind = 'month' and regexp_matches(d, '^[0-9]{4} *[-/.年] *[0-9]{1,2} *月?$')
                then 'western'
            -- 50504
            when kind = 'month' and regexp_matches(d, '^[1-9][0-9]{4}$') then 'era_code'
            -- R05.04
            when kind = 'month' and regexp_matches(
                d, '^[^0-9元 .]+ *[.]? *(元|[0-9]{1,2}) *[-/.年] *[0-9]{1,2} *月?$'
            ) then 'era_prefix'
            -- 5.04 beside a 元号 column
            when kind = 'month' and regexp_matches(
                d, '^(?:(元|[0-9]{1,2}) *[-/.年] *[0-9]{1,2} *月?|[0-9]{4})$'
            ) then 'era_column'
            -- 19450315, 1945/3/15
            when kind = 'birth' and regexp_matches(d, '^[0-9]{8}$') then 'western'
            when kind = 'birth' and regexp_matches(
                d, '^[0-9]{4} *[-/.年] *[0-9]{1,2} *[-/.月] *[0-9]{1,2} *日?$'
            ) then 'western'
            -- 3200315
            when kind = 'birth' and regexp_matches(d, '^[1-9][0-9]{6}$') then 'era_code'
            -- S20.03.15
            when kind = 'birth' and regexp_matches(
                d, '^[^0-9元 .]+ *[.]? *(元|[0-9]{1,2}) *[-/.年] *[0-9]{1,2} *[-/.月] *[0-9]{1,2} *日?$'
            ) then 'era_prefix'
        end as form
    from date_texts
),

date_fields as (
    select
        kind,
        text,
        era_raw,
        era,
        form,
        case when form = 'western' then try_cast(substr(d, 1, 4) as integer) end as western_year,
        case
            when form = 'era_code' then substr(d, 1, 1)
            when form = 'era_prefix' then regexp_extract(d, '^([^0-9元 .]+)', 1)
            when form = 'era_column' then era
        end as era_token,
        case
            when form = 'era_code' then substr(d, 2, 2)
            when form = 'era_column' and regexp_matches(d, '^[0-9]{4}$') then substr(d, 1, 2)
            when kind = 'month' and form in ('era_prefix', 'era_column')
                then regexp_extract(d, '(元|[0-9]{1,2}) *[-/.年] *[0-9]{1,2} *月?$', 1)
            when kind = 'birth' and form = 'era_prefix'
                then regexp_extract(d, '(元|[0-9]{1,2}) *[-/.年] *[0-9]{1,2} *[-/.月]', 1)
        end as era_year_text,
        case
            when kind = 'month' and regexp_matches(d, '^[0-9]{4,6}$')
                then substr(d, length(d) - 1, 2)
            when kind = 'month' and form is not null
                then regexp_extract(d, '([0-9]{1,2}) *月?$', 1)
            when form in ('western', 'era_code') and regexp_matches(d, '^[0-9]+$')
                then substr(d, length(d) - 3, 2)
            when form is not null
                then regexp_extract(d, '([0-9]{1,2}) *[-/.月] *[0-9]{1,2} *日?$', 1)
        end as month_text,
        case
            when kind = 'month' then '01'
            when form in ('western', 'era_code') and regexp_matches(d, '^[0-9]+$')
                then substr(d, length(d) - 1, 2)
            when form is not null then regexp_extract(d, '([0-9]{1,2}) *日?$', 1)
        end as day_text
    from date_forms
),

read_dates as (
    select
        f.kind,
        f.text,
        f.era_raw,
        f.era,
        f.form,
        e.era_code,
        e.starts as era_starts,
        e.ends as era_ends,
        try_cast(
            cast(
                case
                    when f.form = 'western' then f.western_year
                    when f.era_year_text = '元' then e.first_year
                    else e.first_year + try_cast(f.era_year_text as integer) - 1
                end as varchar
            )
            || '-' || lpad(f.month_text, 2, '0') || '-' || lpad(f.day_text, 2, '0') as date
        ) as value
    from date_fields as f
    left join era_tokens as e on e.token = f.era_token
),

date_checked as (
    select
        d.kind,
        d.text,
        d.era_raw,
        d.value,
        case
            when d.kind = 'birth' then 'birth_date'
            when d.form = 'era_column' and d.era <> '' and d.era_code is null then 'era'
            else 'service_month'
        end as failed_column,
        case
            when d.kind = 'birth' and d.form is null
                then '生年月日: not a date form zaitaku reads (19450315, 1945/03/15, S20.03.15, 昭和20年3月15日, 3200315)'
            when d.kind = 'birth' and d.form <> 'western' and d.era_code is null
                then '生年月日: not a known era'
            when d.kind = 'birth' and d.value is null then '生年月日: not a valid date'
            when d.kind = 'birth' and d.form <> 'western' and (
                d.value < d.era_starts or d.value > d.era_ends
            ) then '生年月日: year outside the era'
            when d.kind = 'birth' then cast(null as varchar)
            when d.text = '' then '診療年月: missing'
            when d.form is null
                then '診療年月: not a month form zaitaku reads (202304, 2023/04, R05.04, 令和5年4月, 50504)'
            when d.form = 'era_column' and d.era = '' then '診療年月: era year without a 元号 column'
            when d.form = 'era_column' and d.era_code is null then '元号: not a known era'
            when d.form <> 'western' and d.era_code is null then '診療年月: not a known era'
            when d.value is null then '診療年月: not a valid month'
            -- 令和元年4月 or 平成32年: a year the era does not have (months of the change, such as
            -- 平成31年4月 and 令和元年5月, are both fine)
            when d.form <> 'western' and (
                d.value < date_trunc('month', d.era_starts) or d.value > d.era_ends
            ) then '診療年月: year outside the era'
            when m.month_start is null
                then '診療年月: outside the months zaitaku covers (' || r.first_month || ' to '
                    || r.last_month || ')'
        end as reason
    from read_dates as d
    left join months as m on m.month_start = d.value
    cross join month_range as r
)

select kind, text, era_raw, value, failed_column, reason
from date_checked
