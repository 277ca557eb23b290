-- stg_claim_eras: every way a KDB extract writes an era (元号), to read 和暦 months and dates.
-- Grain: one row per (token, era): its name 令和, letter R, lower-case letter r and KDB digit 5
-- (1 明治 … 5 令和, the order of ref_eras).
-- Reads ref_eras (registered by ingest_claims).

select era_name as token, era_code, first_year, starts, ends from ref_eras
union all
select era_letter as token, era_code, first_year, starts, ends from ref_eras
union all
select lower(era_letter) as token, era_code, first_year, starts, ends from ref_eras
union all
select cast(era_code as varchar) as token, era_code, first_year, starts, ends from ref_eras
