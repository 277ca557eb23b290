-- projection_unknown_age: patients of indicator $indicator in the base period $period whose age is
-- unknown: the projection cannot use them (rates are per age group), and says so.
-- Grain: one row, one column (0 when none).
-- Reads: projection_claims_input (the claims cells of the run). Parameters: $indicator, $period.

with

cells as (
    select indicator, period, basis, age_group, patients
    from projection_claims_input
),

final as (
    select coalesce(sum(patients), 0) as patients
    from cells
    where indicator = $indicator
        and period = $period
        and basis = 'residence'
        and age_group = 'unknown'
)

select patients from final
