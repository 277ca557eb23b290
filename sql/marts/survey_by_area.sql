-- survey_by_area: what the prefecture's facility survey says per area — the stated capacity for
-- 訪問診療 (訪問診療の実施可能件数) to set beside projected demand.
-- Grain: one row per area_code at level $level that holds a surveyed facility.
--   survey_as_of       the survey date (調査時点) in use for the area's prefecture
--   survey_answers     facilities of the area that answered
--   survey_facilities  of them, facilities that gave a 実施可能件数
--   stated_capacity    sum of their 実施可能件数 (as the survey asked it; unanswered ones are
--                      not counted as 0)
--   survey_willing     facilities answering 新規参入 or 拡大 (参入意向)
-- A facility is placed by the municipality of the bureau list it matched (survey_responses.code5).
-- Reads: stg_survey_responses, stg_area_units (level $level). Parameters: $level.

with

responses as (
    select as_of, code5, capacity, intention
    from stg_survey_responses
),

units as (
    select unit_code5, area_code, area_name
    from stg_area_units
    where level = $level
),

final as (
    select
        u.area_code,
        max(r.as_of) as survey_as_of,
        count(*) as survey_answers,
        cast(sum(case when r.capacity is not null then 1 else 0 end) as bigint)
            as survey_facilities,
        cast(sum(r.capacity) as bigint) as stated_capacity,
        cast(sum(case when r.intention in ('新規参入', '拡大') then 1 else 0 end) as bigint)
            as survey_willing
    from responses as r
    inner join units as u on u.unit_code5 = r.code5
    group by u.area_code
)

select area_code, survey_as_of, survey_answers, survey_facilities, stated_capacity, survey_willing
from final
