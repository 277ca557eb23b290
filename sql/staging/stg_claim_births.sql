-- stg_claim_births: each distinct 生年月日 of a claims extract, read and checked; it gives the
-- age where 年齢 is empty.
-- Grain: one row per distinct trimmed, non-empty 生年月日 of the raw_claim_lines whose 年齢 is
-- empty. born is the date (null when the text is none); reason says why it is refused (null =
-- fine).
-- Reads raw_claim_lines and stg_claim_eras.
-- Patterns are anchored (^…$) regexp_matches, which transpiles to Spark's rlike.

with

era_tokens as (
    select token, era_code, first_year, starts, ends
    from stg_claim_eras
),

birth_values as (
    select distinct coalesce(trim(birth_date), '') as birth_date
    from raw_claim_lines
    where coalesce(trim(age), '') = ''
),

birth_texts as (
    select
        birth_date,
        translate(
            birth_date, '０１２３４５６７８９／．－ＭＴＳＨＲｍｔｓｈｒ　', '0123456789/.-MTSHRmtshr '
        ) as b
    from birth_values
    where birth_date <> ''
),

birth_forms as (
    select
        birth_date,
        b,
        case
            when regexp_matches(b, '^[0-9]{8}$') then 'western'                          -- 19450315
            when regexp_matches(b, '^[0-9]{4} *[-/.年] *[0-9]{1,2} *[-/.月] *[0-9]{1,2} *日?$')
                then 'western'                                                            -- 1945/3/15
            when regexp_matches(b, '^[1-9][0-9]{6}$') then 'era_code'                   -- 3200315
            when regexp_matches(
                b, '^[^0-9元 .]+ *[.]? *(元|[0-9]{1,2}) *[-/.年] *[0-9]{1,2} *[-/.月] *[0-9]{1,2} *日?$'
            ) then 'era_prefix'                                                           -- S20.03.15
        end as form
    from birth_texts
),

birth_fields as (
    select
        birth_date,
        form,
        case
            when form = 'western' and length(b) = 8 then substr(b, 1, 4)
            when form = 'western' then regexp_extract(b, '^([0-9]{4})', 1)
        end as western_year,
        case
            when form = 'era_code' then substr(b, 1, 1)
            when form = 'era_prefix' then regexp_extract(b, '^([^0-9元 .]+)', 1)
        end as era_token,
        case
            when form = 'era_code' then substr(b, 2, 2)
            when form = 'era_prefix' then regexp_extract(b, '(元|[0-9]{1,2}) *[-/.年] *[0-9]{1,2} *[-/.月]', 1)
        end as era_year_text,
        case
            when form in ('western', 'era_code') and regexp_matches(b, '^[0-9]+$')
                then substr(b, length(b) - 3, 2)
            when form is not null then regexp_extract(b, '([0-9]{1,2}) *[-/.月] *[0-9]{1,2} *日?$', 1)
        end as month_text,
        case
            when form in ('western', 'era_code') and regexp_matches(b, '^[0-9]+$')
                then substr(b, length(b) - 1, 2)
            when form is not null then regexp_extract(b, '([0-9]{1,2}) *日?$', 1)
        end as day_text
    from birth_forms
),

birth_dates as (
    select
        f.birth_date,
        f.form,
        e.era_code,
        e.starts as era_starts,
        e.ends as era_ends,
        try_cast(
            cast(
                case
                    when f.form = 'western' then try_cast(f.western_year as integer)
                    when f.era_year_text = '元' then e.first_year
                    else e.first_year + try_cast(f.era_year_text as integer) - 1
                end as varchar
            )
            || '-' || lpad(f.month_text, 2, '0') || '-' || lpad(f.day_text, 2, '0') as date
        ) as born
    from birth_fields as f
    left join era_tokens as e on e.token = f.era_token
),

birth_checked as (
    select
        birth_date,
        born,
        case
            when form is null
                then '生年月日: not a date form zaitaku reads (19450315, 1945/03/15, S20.03.15, 昭和20年3月15日, 3200315)'
            when form <> 'western' and era_code is null then '生年月日: not a known era'
            when born is null then '生年月日: not a valid date'
            when form <> 'western' and (born < era_starts or born > era_ends)
                then '生年月日: year outside the era'
        end as reason
    from birth_dates
)

select birth_date, born, reason
from birth_checked
