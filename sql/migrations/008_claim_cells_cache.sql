-- Warehouse schema, version 8: the protected claims cells kept between runs (claims_cache.py).
-- Computing the claims cells of every level and their suppression pattern takes tens of seconds
-- on millions of claim lines, and every `zaitaku aggregate`, `report` and `project` process
-- needs them. They are stored under a digest of everything they depend on (claim files loaded,
-- removed or replaced; the code table with its additions; the bureau lists that place
-- facilities; the reference tables; the SQL and suppression rule of this zaitaku): a later run
-- with the same digest and choices reads them back, any other recomputes them and replaces the
-- stale entries, in one transaction. Nothing here is a person key: cells are aggregates.

-- one row per stored computation: the cells of one period kind for one warehouse state, with
-- the suppression pattern of one choice (suppress, min_facilities)
create table if not exists claim_cells_entries (
    entry_key varchar primary key,     -- digest of state_key, period, suppress, min_facilities
    state_key varchar not null,        -- digest of the data and rules the cells depend on
    period varchar not null,           -- fiscal-year | month
    plans varchar not null,            -- the plans whose areas the cells hold ('8th+7th')
    suppress boolean not null,
    min_facilities integer not null,
    cells bigint not null,             -- rows in claim_cells_cache
    hidden bigint not null,            -- of which hidden
    seconds double not null,           -- how long computing them took
    created_at timestamp not null,
    zaitaku_version varchar not null,
    parts varchar not null             -- JSON: what the state digest was made of
);

-- the cells (int_claim_cells) with their hidden flag (claims_hidden); ids are those of the
-- int_claim_* relations, which the state digest fixes (reference tables, code table, period).
-- value null: a hidden cell where nothing was counted (a month's zero hidden to protect a
-- month cell that its fiscal year would give back, claims_suppression.hidden_month_cells)
create table if not exists claim_cells_cache (
    entry_key varchar not null,
    period_id bigint not null,
    level_id integer not null,
    area_id bigint not null,
    indicator_id bigint not null,
    basis varchar not null,
    age_group_id integer not null,
    unit varchar not null,
    value bigint,
    hidden boolean not null
);
