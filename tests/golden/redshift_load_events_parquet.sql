begin;
-- load ids are max + 1: loads queue on the audit table until this transaction ends
lock "pulse_meta"."load_audit";
-- (pulse reads the partition's last checksum and the next load id here: meta.py)
create temporary table "stage_events" (like "raw"."events");
alter table "stage_events" drop column "_load_id";
copy "stage_events" from 's3://pulse-lake/lake/events/batch_date=2026-11-01/_redshift_copy.manifest' iam_role '<PULSE_RS_IAM_ROLE>' format as parquet manifest;
select count(*) from "stage_events";
create temporary table "stage_events_dedup" as select "event_id", "event_name", "event_at", "user_id", "anonymous_id", "workspace_id", "client_session_id", "platform", "app_version", "country", "properties", "ts_has_offset", "batch_date", "source_file", "source_line" from (select "event_id", "event_name", "event_at", "user_id", "anonymous_id", "workspace_id", "client_session_id", "platform", "app_version", "country", "properties", "ts_has_offset", "batch_date", "source_file", "source_line", row_number() over (partition by "batch_date", "event_id" order by "source_file", "source_line") as "_pulse_rank" from "stage_events") as ranked where "_pulse_rank" = 1;
delete from "raw"."events" where "batch_date" = cast('2026-11-01' as date);
insert into "raw"."events" ("event_id", "event_name", "event_at", "user_id", "anonymous_id", "workspace_id", "client_session_id", "platform", "app_version", "country", "properties", "ts_has_offset", "batch_date", "source_file", "source_line", "_load_id") select "event_id", "event_name", "event_at", "user_id", "anonymous_id", "workspace_id", "client_session_id", "platform", "app_version", "country", "properties", "ts_has_offset", "batch_date", "source_file", "source_line", 42 from "stage_events_dedup";
insert into "pulse_meta"."load_audit" ("load_id", "table_name", "batch_date", "status", "rows_loaded", "manifest_checksum", "lake_uri", "started_at", "finished_at") select 42, 'events', cast('2026-11-01' as date), 'loaded', count(*), 'sha256-of-the-partition', 's3://pulse-lake/lake', cast('2026-11-02 03:00:00' as timestamp), cast('2026-11-02 03:00:05' as timestamp) from "stage_events_dedup";
select count(*) from "stage_events_dedup";
drop table "stage_events_dedup";
drop table "stage_events";
commit;
