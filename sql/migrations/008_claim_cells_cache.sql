-- Warehouse schema, version 8: the protected claims cells kept between runs, per fiscal year
-- (claims_cache.py). Computing the claims cells of every level and their suppression pattern
-- takes seconds to tens of seconds on millions of claim lines, and every `zaitaku aggregate`,
-- `refresh`, `report` and `project` process needs them; a nightly refresh that adds a month
-- changes one fiscal year only. So the cells are stored in blocks, one per period kind and
-- fiscal year, under a digest of everything the block depends on (the lines of its months with
-- the place of their facilities; the code table, reference tables, month table and rules): a
-- later run reads the blocks whose digest it finds and computes only the others. Nothing here
-- is a person key: cells are aggregates.

-- one row per stored block: the cells of one fiscal year (period 'fiscal-year') or of its
-- months (period 'month') for one state of what they depend on
create table if not exists claim_cell_blocks (
    block_key varchar primary key,     -- digest of period, fiscal_year and what the cells read
    period varchar not null,           -- fiscal-year | month
    fiscal_year varchar not null,      -- 'FY2023'
    cells bigint not null,             -- rows in claim_cell_values
    seconds double not null,           -- how long computing the cells of this run took
    created_at timestamp not null,
    zaitaku_version varchar not null,
    parts varchar not null             -- JSON: the digests the key was made of (months, global)
);

-- the cells (int_claim_cells) of a block; ids are those of the int_claim_* relations, which the
-- global digest fixes (reference tables, code table, month table)
create table if not exists claim_cell_values (
    block_key varchar not null,
    period_id bigint not null,
    level_id integer not null,
    area_id bigint not null,
    indicator_id bigint not null,
    basis varchar not null,
    age_group_id integer not null,
    unit varchar not null,
    value bigint not null
);

-- the suppression pattern of a block for one --min-facilities choice (no suppression: none)
create table if not exists claim_cell_patterns (
    block_key varchar not null,
    min_facilities integer not null,
    hidden bigint not null,            -- rows in claim_cell_hidden
    created_at timestamp not null,
    primary key (block_key, min_facilities)
);

-- the hidden cells (claims_hidden) of a pattern; a month's hidden 0 has no row in
-- claim_cell_values (claims_suppression.hidden_month_cells)
create table if not exists claim_cell_hidden (
    block_key varchar not null,
    min_facilities integer not null,
    period_id bigint not null,
    level_id integer not null,
    area_id bigint not null,
    indicator_id bigint not null,
    basis varchar not null,
    age_group_id integer not null,
    unit varchar not null
);
