-- stg_claim_lines: the lines of one KDB-style claims extract, typed, normalised and checked.
-- Grain: one row per non-blank data line of the file; line_no is its line in the file (the
-- header is line 1).
-- Reads raw_claim_lines (the file's text under canonical column names, set up by
-- ingest_claims), stg_claim_persons (the file's persons, numbered), claim_value_map (the mapping file's [values.*]), ref_eras, ref_months and
-- ref_municipalities.
-- Every failed check is listed in `problems` (null = the line is valid).
-- person_id (output) is the person's number from stg_claim_persons (which hashes each
-- 被保険者番号 once, HMAC-SHA256, and numbers it as in the warehouse table `persons`); inside
-- the CTEs below person_id is the raw text up to `checks`. No output column carries the raw
-- 被保険者番号.
-- 診療年月, 生年月日 and 市町村コード are parsed once per distinct value and joined back: an
-- extract of ten million lines holds a few dozen months and a few hundred codes.
-- Patterns are anchored (^…$) regexp_matches, which transpiles to Spark's rlike.

with

raw as (
    select
        line_no,
        fields_ok,
        undecodable,
        insurer_no,
        person_id,
        sex,
        age,
        birth_date,
        municipality_code,
        service_month,
        era,
        inout,
        facility_code,
        procedure_code,
        times
    from raw_claim_lines
    where not is_blank
),

value_map as (
    select column_key, from_value, to_value
    from claim_value_map
),

-- every way an era is written: 令和, R, r, and its KDB code 5 (1 明治 … 5 令和)
era_tokens as (
    select era_name as token, era_code, first_year, starts, ends from ref_eras
    union all
    select era_letter as token, era_code, first_year, starts, ends from ref_eras
    union all
    select lower(era_letter) as token, era_code, first_year, starts, ends from ref_eras
    union all
    select cast(era_code as varchar) as token, era_code, first_year, starts, ends from ref_eras
),

residences as (
    -- 政令市 city codes (04100) are valid residence codes: 国保 is run by the city
    select code5
    from ref_municipalities
    where kind <> '都道府県'
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

-- text trimmed; empty is missing; codes translated by the mapping file
cleaned as (
    select
        r.line_no,
        r.fields_ok,
        r.undecodable,
        nullif(trim(r.insurer_no), '') as insurer_no,
        nullif(trim(r.person_id), '') as person_id,
        coalesce(sex_map.to_value, nullif(trim(r.sex), '')) as sex,
        nullif(trim(r.age), '') as age,
        coalesce(trim(r.birth_date), '') as birth_date,
        coalesce(trim(r.municipality_code), '') as municipality_code,
        coalesce(trim(r.service_month), '') as service_month,
        coalesce(trim(r.era), '') as era_raw,
        coalesce(inout_map.to_value, nullif(trim(r.inout), '')) as inout,
        nullif(trim(r.facility_code), '') as facility_code,
        nullif(trim(r.procedure_code), '') as procedure_code,
        nullif(trim(r.times), '') as times
    from raw as r
    left join value_map as sex_map
        on sex_map.column_key = 'sex' and sex_map.from_value = trim(r.sex)
    left join value_map as inout_map
        on inout_map.column_key = 'inout' and inout_map.from_value = trim(r.inout)
),

-- 診療年月 -------------------------------------------------------------------------------------
-- distinct values come straight from raw_claim_lines, so that `cleaned` has one reader and
-- streams instead of being materialised
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
),

-- 生年月日 (only used where 年齢 is empty) ----------------------------------------------------
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
),

-- 市町村コード ----------------------------------------------------------------------------------
municipality_values as (
    select distinct coalesce(trim(municipality_code), '') as municipality_code
    from raw_claim_lines
),

municipality_texts as (
    select
        municipality_code,
        translate(municipality_code, '０１２３４５６７８９', '0123456789') as c
    from municipality_values
),

municipality_parts as (
    select
        municipality_code,
        c,
        case when regexp_matches(c, '^[0-9]{5,6}$') then substr(c, 1, 5) end as code5,
        -- 全国地方公共団体コード check digit: weights 6,5,4,3,2; (11 - sum mod 11) mod 10
        case
            when regexp_matches(c, '^[0-9]{6}$') then (
                11 - (
                    6 * cast(substr(c, 1, 1) as integer)
                    + 5 * cast(substr(c, 2, 1) as integer)
                    + 4 * cast(substr(c, 3, 1) as integer)
                    + 3 * cast(substr(c, 4, 1) as integer)
                    + 2 * cast(substr(c, 5, 1) as integer)
                ) % 11
            ) % 10
        end as expected_check_digit
    from municipality_texts
),

municipality_checked as (
    select
        p.municipality_code,
        p.code5,
        case
            when p.municipality_code = '' then '市町村コード: missing'
            when p.code5 is null then '市町村コード: not 5 or 6 digits'
            when length(p.c) = 6 and cast(substr(p.c, 6, 1) as integer) <> p.expected_check_digit
                then '市町村コード: check digit does not match (a 6-digit code ends with its check digit)'
            when r.code5 is null then '市町村コード: not in the municipality list'
        end as reason
    from municipality_parts as p
    left join residences as r on r.code5 = p.code5
),

-- lines ---------------------------------------------------------------------------------------
checked as (
    select
        c.line_no,
        c.fields_ok,
        c.undecodable,
        c.insurer_no,
        c.person_id,
        p.person_id as person_no,
        c.sex,
        c.age,
        c.inout,
        c.facility_code,
        c.procedure_code,
        c.times,
        m.month_start,
        m.month_column,
        m.reason as month_reason,
        mu.code5 as residence_code5,
        mu.reason as residence_reason,
        b.born,
        b.reason as birth_reason,
        c.birth_date
    from cleaned as c
    left join month_checked as m on m.service_month = c.service_month and m.era_raw = c.era_raw
    left join municipality_checked as mu on mu.municipality_code = c.municipality_code
    left join birth_checked as b on b.birth_date = c.birth_date
    left join stg_claim_persons as p on p.raw_person_id = c.person_id
),

aged as (
    select
        line_no,
        fields_ok,
        undecodable,
        insurer_no,
        person_id,
        person_no,
        sex,
        age,
        inout,
        facility_code,
        procedure_code,
        times,
        month_start,
        month_column,
        month_reason,
        residence_code5,
        residence_reason,
        birth_reason,
        birth_date,
        case
            when age is not null and regexp_matches(age, '^[0-9]{1,3}$') then cast(age as integer)
            -- age on the first day of the service month
            when age is null and born is not null and month_start is not null then
                year(month_start) - year(born)
                - case
                    when month(born) > month(month_start)
                        or (month(born) = month(month_start) and day(born) > 1) then 1
                    else 0
                end
        end as age_years
    from checked
),

checks as (
    select
        c.line_no,
        c.fields_ok,
        c.month_start as service_month,
        c.insurer_no,
        c.person_no as person_id,
        c.sex,
        cast(case when c.age_years between 0 and 130 then c.age_years end as smallint) as age,
        c.residence_code5,
        c.inout,
        c.facility_code as facility_code10,
        c.procedure_code as act_code,
        case when regexp_matches(c.times, '^[0-9]{1,9}$') then cast(c.times as integer) end
            as times,
        case when c.undecodable then 'bytes not valid in the file''s encoding (they read as U+FFFD)' end
            as decode_reason,
        case when c.person_id is null then '被保険者番号: missing' end as person_reason,
        case
            when c.sex is null then '性別: missing'
            when c.sex not in ('1', '2') then '性別: not 1 (男) or 2 (女)'
        end as sex_reason,
        case
            when c.age is not null then 'age'
            when c.birth_date <> '' then 'birth_date'
            else 'age_or_birth_date'
        end as age_column,
        case
            when c.age is not null and c.age_years is null then '年齢: not a whole number'
            when c.age is not null and c.age_years > 130 then '年齢: over 130'
            -- an empty age is no error: the line counts in total and in age group 'unknown'
            when c.age is null and c.birth_reason is not null then c.birth_reason
            when c.age is null and c.age_years < 0 then '生年月日: after the service month'
            when c.age is null and c.age_years > 130
                then '生年月日: over 130 years before the service month'
        end as age_reason,
        c.residence_reason,
        c.month_column,
        c.month_reason,
        case when c.inout not in ('1', '2') then '入外区分: not 1 (入院) or 2 (入院外)' end
            as inout_reason,
        case
            when not regexp_matches(c.insurer_no, '^(?:[0-9]{6}|[0-9]{8})$')
                then '保険者番号: not 6 or 8 digits'
        end as insurer_reason,
        case
            when c.facility_code is null then '医療機関コード: missing'
            when not regexp_matches(c.facility_code, '^[0-9]{10}$')
                then '医療機関コード: not 10 digits'
        end as facility_reason,
        case
            when c.procedure_code is null then '診療行為コード: missing'
            when not regexp_matches(c.procedure_code, '^[0-9]{9}$')
                then '診療行為コード: not 9 digits'
        end as act_reason,
        case
            when c.times is null then '算定回数: missing'
            when regexp_matches(c.times, '^-[0-9]+$') then '算定回数: negative'
            when not regexp_matches(c.times, '^[0-9]{1,9}$') then '算定回数: not a whole number'
        end as times_reason
    from aged as c
),

-- One text column holds every failed check, so that the ten million valid lines carry a
-- single null instead of a dozen: entries "column_key␟reason" joined by ␞ (chr(31), chr(30));
-- stg_claim_rejects unpacks them. A line with the wrong number of fields gets only that
-- reason: its other failures follow from it.
final as (
    select
        line_no,
        service_month,
        insurer_no,
        person_id,
        sex,
        age,
        residence_code5,
        inout,
        facility_code10,
        act_code,
        times,
        case
            when not fields_ok then chr(31) || 'wrong number of fields'
            else nullif(
                concat_ws(
                    chr(30),
                    chr(31) || decode_reason,
                    'person_id' || chr(31) || person_reason,
                    'sex' || chr(31) || sex_reason,
                    age_column || chr(31) || age_reason,
                    'municipality_code' || chr(31) || residence_reason,
                    month_column || chr(31) || month_reason,
                    'inout' || chr(31) || inout_reason,
                    'insurer_no' || chr(31) || insurer_reason,
                    'facility_code' || chr(31) || facility_reason,
                    'procedure_code' || chr(31) || act_reason,
                    'times' || chr(31) || times_reason
                ),
                ''
            )
        end as problems
    from checks
)

select
    line_no,
    service_month,
    insurer_no,
    person_id,
    sex,
    age,
    residence_code5,
    inout,
    facility_code10,
    act_code,
    times,
    problems,
    problems is null as is_valid
from final
