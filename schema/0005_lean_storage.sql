-- 0005_lean_storage.sql - fewer bytes and fewer index entries per stored
-- call: raw SIP messages compressed by the writer, and the indexes no
-- reader uses dropped.  schema/README.md lists the indexes kept and what
-- each serves.
--
-- sip_messages.raw_format: how raw holds the message (storage.h
-- st_raw_unpack): 0 the bytes as captured (every row before this version),
-- 1 a raw deflate stream (RFC 1951) with the preset dictionary
-- storage/sip_dictionary.txt (LF line ends made CRLF); len stays the
-- message's length.  A new column with a constant default: no rewrite.
ALTER TABLE sip_messages ADD COLUMN IF NOT EXISTS raw_format smallint NOT NULL DEFAULT 0;
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
