-- survey_snapshots_latest: the newest facility survey (調査時点) of each prefecture (the one in
-- use), so that loading an older survey can say that it is kept but not used.
-- Grain: one row per prefecture with survey answers, with its newest as-of date.
-- Reads: survey_responses.

with

answers as (
    select pref_code, as_of
    from survey_responses
),

final as (
    select pref_code, max(as_of) as as_of
    from answers
    group by pref_code
)

select pref_code, as_of
from final
order by pref_code
