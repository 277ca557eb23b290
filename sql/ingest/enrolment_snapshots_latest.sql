-- enrolment_snapshots_latest: the newest 国保 + 後期 enrolment table of each prefecture (the one in
-- use), so that loading an older table can say that it is kept but not used.
-- Grain: one row per prefecture with enrolment rows, with its newest as-of date.
-- Reads: enrolment.

with

enrolment_rows as (
    select pref_code, as_of
    from enrolment
),

final as (
    select pref_code, max(as_of) as as_of
    from enrolment_rows
    group by pref_code
)

select pref_code, as_of
from final
order by pref_code
