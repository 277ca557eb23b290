-- Warehouse schema, version 5: the history of runs against the warehouse (`zaitaku runs`).
-- Grain: one row per command run (refresh, ingest, aggregate), written when it starts and
-- completed when it ends; a row still 'running' whose process is gone is marked 'killed' by the
-- next run. files, outputs and warnings are JSON arrays; no person key is ever part of them.
-- zaitaku: may be applied again (numbered before 006 but merged after it: a warehouse that
-- recorded only its schema_version may lack it, and this runs again harmlessly)

create sequence if not exists run_id_seq start 1;

create table if not exists run_history (
    run_id integer primary key default nextval('run_id_seq'),
    command varchar not null,          -- refresh | ingest claims | aggregate --by municipality …
    started_at timestamp not null,
    ended_at timestamp,                -- null while running
    status varchar not null,           -- running | ok | nothing_new | failed | interrupted | killed
    exit_code integer,
    host varchar not null,
    pid integer not null,
    files varchar not null,            -- JSON: [{path, kind, status, reason, rows…}]
    outputs varchar not null,          -- JSON: [{set, folder, status, files}]
    warnings varchar not null,         -- JSON: [text]
    error varchar,
    seconds double
);
