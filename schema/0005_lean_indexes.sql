-- 0005_lean_indexes.sql - drops the indexes no reader uses, so each stored
-- call writes fewer index entries (ingest) and takes fewer bytes (disk);
-- schema/README.md lists the indexes kept and what each serves.
--
-- sip_messages_call_uuid: a call's messages have dist_uuid = call_uuid, so
-- the primary key (dist_uuid, ts, msg_id) already finds them in time order
-- (readers ask for dist_uuid = $1 AND call_uuid = $1).
-- sip_messages_call_id: messages are read by call (the call's Call-ID goes
-- through calls_call_id to its call_uuid); nothing looks messages up by
-- Call-ID alone, and it was the largest index per message.
-- streams_mos, streams_src_ip, streams_dst_ip: streams are read by call
-- (the primary key); searches by quality or address go through calls.
-- IF EXISTS: a database migrated by hand may lack some.
DROP INDEX IF EXISTS sip_messages_call_uuid;
DROP INDEX IF EXISTS sip_messages_call_id;
DROP INDEX IF EXISTS streams_mos;
DROP INDEX IF EXISTS streams_src_ip;
DROP INDEX IF EXISTS streams_dst_ip;
