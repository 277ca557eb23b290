-- stg_claim_months: each distinct 診療年月 (with 元号) of a claims extract, read and checked.
-- Grain: one row per distinct (trimmed 診療年月, trimmed 元号) of raw_claim_lines: an extract of
-- ten million lines holds a few dozen, so each is parsed once and stg_claim_lines joins back.
-- month_start is the month's first day (null when the text is no month); reason says why the
-- month is refused (null = fine), month_column which column to blame.
-- Reads raw_claim_lines, claim_value_map (the mapping file's [values.era]), stg_claim_eras and
-- ref_months (the months zaitaku covers).
-- Patterns are anchored (^…$) regexp_matches, which transpiles to Spark's rlike.

with

value_map as (
    select column_key, from_value, to_value
    from claim_value_map
),

era_tokens as (
    select token, era_code, first_year, starts, ends
    from stg_claim_eras
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
        coalesce(trim(service_month), '') as service_month,
        coalesce(trim(era), '') as era_raw
    from raw_claim_lines
),

month_texts as (
    select
        v.service_month,
        v.era_raw,
        coalesce(era_map.to_value, v.era_raw) as era,
        -- full-width digits, letters and separators as typed in Excel
        translate(
            v.service_month, '０１２３４５６７８９／．－ＭＴＳＨＲｍｔｓｈｒ　', '0123456789/.-MTSHRmtshr '
        ) as m
    from month_values as v
    left join value_map as era_map
        on era_map.column_key = 'era' and era_map.from_value = v.era_raw
),

month_forms as (
    select
        service_month,
        era_raw,
        era,
        m,
        case
            when regexp_matches(m, '^[0-9]{6}$') then 'western'                  -- 202304
            when regexp_matches(m, '^[0-9]{4} *[-/.年] *[0-9]{1,2} *月?$') then 'western' -- 2023/04
            when regexp_matches(m, '^[1-9][0-9]{4}$') then 'era_code'            -- 50504
            when regexp_matches(m, '^[^0-9元 .]+ *[.]? *(元|[0-9]{1,2}) *[-/.年] *[0-9]{1,2} *月?$')
                then 'era_prefix'                                                 -- R05.04
            when regexp_matches(m, '^(?:(元|[0-9]{1,2}) *[-/.年] *[0-9]{1,2} *月?|[0-9]{4})$')
                then 'era_column'                                                 -- 5.04 + 元号
        end as form
    from month_texts
),

month_fields as (
    select
        service_month,
        era_raw,
        era,
        form,
        case when form = 'western' then cast(substr(m, 1, 4) as integer) end as western_year,
        case
            when form = 'era_code' then substr(m, 1, 1)
            when form = 'era_prefix' then regexp_extract(m, '^([^0-9元 .]+)', 1)
            when form = 'era_column' then era
        end as era_token,
        case
            when form = 'era_code' then substr(m, 2, 2)
            when form = 'era_column' and regexp_matches(m, '^[0-9]{4}$') then substr(m, 1, 2)
            when form in ('era_prefix', 'era_column')
                then regexp_extract(m, '(元|[0-9]{1,2}) *[-/.年] *[0-9]{1,2} *月?$', 1)
        end as era_year_text,
        case
            when regexp_matches(m, '^[0-9]{4,6}$') then try_cast(substr(m, length(m) - 1, 2) as integer)
            when form is not null then try_cast(regexp_extract(m, '([0-9]{1,2}) *月?$', 1) as integer)
        end as month_number
    from month_forms
),

month_dates as (
    select
        f.service_month,
        f.era_raw,
        f.era,
        f.form,
        e.era_code,
        e.starts as era_starts,
        e.ends as era_ends,
        case
            when f.month_number between 1 and 12 then try_cast(
                cast(
                    case
                        when f.form = 'western' then f.western_year
                        when f.era_year_text = '元' then e.first_year
                        else e.first_year + try_cast(f.era_year_text as integer) - 1
                    end as varchar
                )
                || '-' || lpad(cast(f.month_number as varchar), 2, '0') || '-01' as date
            )
        end as month_start
    from month_fields as f
    left join era_tokens as e on e.token = f.era_token
),

month_checked as (
    select
        d.service_month,
        d.era_raw,
        d.month_start,
        case
            when d.form = 'era_column' and d.era <> '' and d.era_code is null then 'era'
            else 'service_month'
        end as month_column,
        case
            when d.service_month = '' then '診療年月: missing'
            when d.form is null
                then '診療年月: not a month form zaitaku reads (202304, 2023/04, R05.04, 令和5年4月, 50504)'
            when d.form = 'era_column' and d.era = '' then '診療年月: era year without a 元号 column'
            when d.form = 'era_column' and d.era_code is null then '元号: not a known era'
            when d.form <> 'western' and d.era_code is null then '診療年月: not a known era'
            when d.month_start is null then '診療年月: not a valid month'
            -- 令和元年4月 or 平成32年: a year the era does not have (months of the change, such as
            -- 平成31年4月 and 令和元年5月, are both fine)
            when d.form <> 'western' and (
                d.month_start < date_trunc('month', d.era_starts) or d.month_start > d.era_ends
            ) then '診療年月: year outside the era'
            when m.month_start is null
                then '診療年月: outside the months zaitaku covers (' || r.first_month || ' to '
                    || r.last_month || ')'
        end as reason
    from month_dates as d
    left join months as m on m.month_start = d.month_start
    cross join month_range as r
)

select service_month, era_raw, month_start, month_column, reason
from month_checked
