-- stg_claim_lines: the lines of one KDB-style claims extract, typed, normalised and checked.
-- Grain: one row per non-blank data line of the file that has the header's number of fields
-- (the reader sets the others aside); line_no is its line in the file (the header is line 1).
-- Reads raw_claim_lines (the file's text under canonical column names, set up by
-- ingest_claims over the reader's Parquet parts), claim_value_map (the mapping file's
-- [values.*]) and the checked distinct values of the file: stg_claim_persons (persons,
-- numbered), stg_claim_dates (months and birth dates) and stg_claim_municipalities.
-- Every failed check is listed in `problems` (null = the line is valid).
-- person_id (output) is the person's number from stg_claim_persons (which numbers each person
-- key as in the warehouse table `persons`); inside the CTEs below person_id is the person key
-- (HMAC-SHA256 of the 被保険者番号, hashed by the reader's workers) up to `checks`. The raw
-- 被保険者番号 never reaches this query.
-- 診療年月, 生年月日 and 市町村コード are parsed once per distinct value (their own staging
-- tables, materialised first so that each join builds on the small side) and joined back: an
-- extract of ten million lines holds a few dozen months and a few hundred codes.
-- Patterns are anchored (^…$) regexp_matches, which transpiles to Spark's rlike.

with

-- text trimmed, empty is missing; each column's own checks (the codes' digits, the numbers)
-- are made here, on the scan's output and before any join, where DuckDB evaluates them once
-- per distinct value of a dictionary-encoded Parquet column instead of once per line
texts as (
    select
        line_no,
        undecodable,
        nullif(trim(insurer_no), '') as insurer_no,
        nullif(trim(person_id), '') as person_id,
        trim(sex) as sex_text,
        nullif(trim(age), '') as age,
        coalesce(trim(birth_date), '') as birth_date,
        coalesce(trim(municipality_code), '') as municipality_code,
        coalesce(trim(service_month), '') as service_month,
        coalesce(trim(era), '') as era_raw,
        trim(inout) as inout_text,
        nullif(trim(facility_code), '') as facility_code,
        nullif(trim(procedure_code), '') as procedure_code,
        nullif(trim(times), '') as times
    from raw_claim_lines
    where not is_blank
),

column_checks as (
    select
        line_no,
        undecodable,
        insurer_no,
        person_id,
        sex_text,
        age,
        birth_date,
        municipality_code,
        service_month,
        era_raw,
        inout_text,
        facility_code,
        procedure_code,
        case when regexp_matches(age, '^[0-9]{1,3}$') then cast(age as integer) end as stated_age,
        case when regexp_matches(times, '^[0-9]{1,9}$') then cast(times as integer) end
            as times_number,
        case
            when not regexp_matches(insurer_no, '^(?:[0-9]{6}|[0-9]{8})$')
                then '保険者番号: not 6 or 8 digits'
        end as insurer_reason,
        case
            when facility_code is null then '医療機関コード: missing'
            when not regexp_matches(facility_code, '^[0-9]{10}$')
                then '医療機関コード: not 10 digits'
        end as facility_reason,
        case
            when procedure_code is null then '診療行為コード: missing'
            when not regexp_matches(procedure_code, '^[0-9]{9}$')
                then '診療行為コード: not 9 digits'
        end as act_reason,
        case
            when times is null then '算定回数: missing'
            when regexp_matches(times, '^-[0-9]+$') then '算定回数: negative'
            when not regexp_matches(times, '^[0-9]{1,9}$') then '算定回数: not a whole number'
        end as times_reason
    from texts
),

value_map as (
    select column_key, from_value, to_value
    from claim_value_map
),

-- codes translated by the mapping file; months, codes, birth dates and persons joined from
-- their checked distinct values
checked as (
    select
        c.line_no,
        c.undecodable,
        c.insurer_no,
        c.person_id,
        p.person_id as person_no,
        coalesce(sex_map.to_value, nullif(c.sex_text, '')) as sex,
        c.age,
        c.stated_age,
        coalesce(inout_map.to_value, nullif(c.inout_text, '')) as inout,
        c.facility_code,
        c.procedure_code,
        c.times_number,
        c.insurer_reason,
        c.facility_reason,
        c.act_reason,
        c.times_reason,
        m.value as month_start,
        m.failed_column as month_column,
        m.reason as month_reason,
        mu.code5 as residence_code5,
        mu.reason as residence_reason,
        b.value as born,
        b.reason as birth_reason,
        c.birth_date
    from column_checks as c
    left join value_map as sex_map
        on sex_map.column_key = 'sex' and sex_map.from_value = c.sex_text
    left join value_map as inout_map
        on inout_map.column_key = 'inout' and inout_map.from_value = c.inout_text
    left join stg_claim_dates as m
        on m.kind = 'month' and m.text = c.service_month and m.era_raw = c.era_raw
    left join stg_claim_municipalities as mu on mu.municipality_code = c.municipality_code
    left join stg_claim_dates as b
        on b.kind = 'birth' and b.text = c.birth_date and b.era_raw = ''
    left join stg_claim_persons as p on p.person_key = c.person_id
),

aged as (
    select
        line_no,
        undecodable,
        insurer_no,
        person_id,
        person_no,
        sex,
        age,
        inout,
        facility_code,
        procedure_code,
        times_number,
        insurer_reason,
        facility_reason,
        act_reason,
        times_reason,
        month_start,
        month_column,
        month_reason,
        residence_code5,
        residence_reason,
        birth_reason,
        birth_date,
        case
            when age is not null then stated_age
            -- age on the first day of the service month
            when born is not null and month_start is not null then
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
        c.month_start as service_month,
        c.insurer_no,
        c.person_no as person_id,
        c.sex,
        cast(case when c.age_years between 0 and 130 then c.age_years end as smallint) as age,
        c.residence_code5,
        c.inout,
        c.facility_code as facility_code10,
        c.procedure_code as act_code,
        c.times_number as times,
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
        c.insurer_reason,
        c.facility_reason,
        c.act_reason,
        c.times_reason
    from aged as c
),

-- One text column holds every failed check, so that the ten million valid lines carry a
-- single null instead of a dozen: entries "column_key␟reason" joined by ␞ (chr(31), chr(30));
-- stg_claim_rejects unpacks them. The entries are only joined on lines that failed a check
-- (CASE evaluates a branch for its own rows only): most lines pass them all. (Lines with the
-- wrong number of fields never get here: the reader sets them aside, ingest_claims rejects
-- them.)
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
            when decode_reason is null
                and person_reason is null
                and sex_reason is null
                and age_reason is null
                and residence_reason is null
                and month_reason is null
                and inout_reason is null
                and insurer_reason is null
                and facility_reason is null
                and act_reason is null
                and times_reason is null
                then null
            else concat_ws(
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
