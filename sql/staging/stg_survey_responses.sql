-- stg_survey_responses: the facility survey in use for each prefecture.
-- Grain: one row per (pref_code, facility_code10) of the newest survey date (as_of) of the
-- prefecture. Older surveys stay in survey_responses but are not used; within one date a
-- facility has one answer (the ingest replaces an earlier file's answer).
-- Reads: survey_responses.

with

responses as (
    select
        ingest_id, source_row, as_of, pref_code, facility_code10, code5, matched_by, capacity,
        intention
    from survey_responses
),

latest as (
    select pref_code, max(as_of) as as_of
    from responses
    group by pref_code
),

final as (
    select
        r.ingest_id, r.source_row, r.as_of, r.pref_code, r.facility_code10, r.code5,
        r.matched_by, r.capacity, r.intention
    from responses as r
    inner join latest as l on l.pref_code = r.pref_code and l.as_of = r.as_of
)

select
    ingest_id, source_row, as_of, pref_code, facility_code10, code5, matched_by, capacity,
    intention
from final
