-- enrolment_coverage: the age-group cells of the level and how many of them have a 国保 + 後期
-- enrolment denominator, to warn that rates under 75 are over the whole population without one.
-- Grain: one row: cells, cells with enrolment.
-- Reads: stg_enrolment_by_area.

with

cells as (
    select age_group, members from stg_enrolment_by_area
),

final as (
    select count(*) as cells, count(members) as with_enrolment
    from cells
    where age_group <> 'total'
)

select cells, with_enrolment from final
