-- Warehouse schema, version 2: the grain of claim lines and taking files back out.
-- Claim lines belong to (保険者番号 insurer_no, 診療年月 service_month): claim_pairs says which
-- ingest holds the lines of each pair, so that a file bringing pairs already loaded from another
-- file is found on a few hundred rows, not on the claim lines; claim_replacements records what
-- an `ingest claims --replace` superseded; ingest_log.removed_at marks files taken back out by
-- `zaitaku remove` (the row stays, so that the log still tells what happened).
-- A line whose 保険者番号 is empty has insurer_no null: null is its own insurer value
-- ("unknown"), matched null to null (`is not distinct from`).

-- one row per (ingest, 保険者番号, 診療年月) of the lines present in claim_lines; rows go when
-- their lines go (replaced or removed)
create table if not exists claim_pairs (
    ingest_id integer not null,
    insurer_no varchar,                -- null: 保険者番号 empty on those lines
    service_month date not null,
    lines bigint not null
);

insert into claim_pairs (ingest_id, insurer_no, service_month, lines)
select ingest_id, insurer_no, service_month, count(*)
from claim_lines
group by ingest_id, insurer_no, service_month;

-- one row per (replacing ingest, replaced ingest, 保険者番号, 診療年月): the claim lines of
-- replaced_ingest_id for that pair were deleted when ingest_id loaded with --replace
create table if not exists claim_replacements (
    ingest_id integer not null,
    replaced_ingest_id integer not null,
    insurer_no varchar,
    service_month date not null,
    lines bigint not null,             -- claim lines of replaced_ingest_id deleted
    replaced_at timestamp not null
);

-- when `zaitaku remove` took the file's rows out (null: still in), and how many rows went
-- (claim lines, facility notifications or count rows; rejects not counted)
alter table ingest_log add column removed_at timestamp;
alter table ingest_log add column removed_rows bigint;
