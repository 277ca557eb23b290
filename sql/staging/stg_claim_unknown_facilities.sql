-- stg_claim_unknown_facilities: billing facilities of home-care claim lines that no bureau list
-- locates, i.e. those the claims marts put under '所在地不明（届出名簿に該当なし）' on the
-- facility basis.
-- Grain: one row per facility_code10 with at least one line of a ref_claim_codes code and no row
-- in stg_claim_facility_locations. lines = such lines of the facility; first/last_month = the
-- service months they span (for the analyst: a facility that closed before the first list
-- ingested, a 歯科/薬局 code, or a list not yet ingested for that prefecture).
-- Reads: claim_lines, ref_claim_codes, stg_claim_facility_locations (materialised for this run).

with

codes as (
    select distinct code from ref_claim_codes
),

home_care_lines as (
    select l.facility_code10, l.service_month
    from claim_lines as l
    inner join codes as c on c.code = l.act_code
),

final as (
    select
        h.facility_code10,
        substr(h.facility_code10, 1, 2) as pref_code,
        count(*) as lines,
        min(h.service_month) as first_month,
        max(h.service_month) as last_month
    from home_care_lines as h
    left join stg_claim_facility_locations as f on f.facility_code10 = h.facility_code10
    where f.facility_code10 is null
    group by h.facility_code10
)

select facility_code10, pref_code, lines, first_month, last_month from final
