-- stg_claim_codes_unmapped: 診療行為コード billed in claim_lines that ref_claim_codes does not map.
-- Grain: one row per act_code absent from ref_claim_codes, with its lines, times (sum), distinct
-- billing facilities and the service months it spans.
-- home_care_prefix: the code starts like a 在宅医療 (section C) code of the table (its first three
-- digits, 114 in the packaged table). claim_lines carries no 区分, so without a 医科診療行為マスター
-- this prefix is the only hint that a code may be a home-care code the table lacks (e.g. a code of
-- a later revision). Section A and B codes of the table (190…, 113…) share their prefixes with
-- hundreds of unrelated codes (入院料の加算, 医学管理等), so only section C prefixes are used; with a
-- master the caller decides by 区分 instead.
-- Reads: claim_lines, ref_claim_codes.

with

codes as (
    select distinct code from ref_claim_codes
),

home_care_prefixes as (
    select distinct substr(code, 1, 3) as prefix
    from ref_claim_codes
    where kubun like 'C%'
),

unmapped_lines as (
    select l.act_code, l.times, l.facility_code10, l.service_month
    from claim_lines as l
    left join codes as c on c.code = l.act_code
    where c.code is null
),

final as (
    select
        u.act_code as code,
        count(*) as lines,
        sum(u.times) as times,
        count(distinct u.facility_code10) as facilities,
        min(u.service_month) as first_month,
        max(u.service_month) as last_month,
        max(case when p.prefix is not null then 1 else 0 end) = 1 as home_care_prefix
    from unmapped_lines as u
    left join home_care_prefixes as p on p.prefix = substr(u.act_code, 1, 3)
    group by u.act_code
)

select code, lines, times, facilities, first_month, last_month, home_care_prefix from final
