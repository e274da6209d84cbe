-- 0004_siprec.sql - the SIPREC recording server's sessions (siprec/): one
-- row per ended recording session, its participants and its recorded
-- streams, partitioned by day on the session's start like every other
-- table (retention drops them with the calls), all three keyed by
-- session_uuid (a UUIDv8 of the probe, the session's own Call-ID and its
-- start), the Citus distribution column, colocated with each other.
-- Every statement may run again on a database that has them.
-- schema/README.md explains each column and the link to observed calls.

CREATE TABLE IF NOT EXISTS siprec_sessions (
    session_uuid uuid NOT NULL,
    start_ts timestamptz NOT NULL,
    probe text NOT NULL,
    call_id text NOT NULL,
    end_ts timestamptz,
    state text NOT NULL,
    src_ip inet,
    src_port integer,
    transport text,
    recorded_call_ids text[] NOT NULL DEFAULT '{}',
    participant_count integer NOT NULL,
    stream_count integer NOT NULL,
    packets bigint NOT NULL,
    lost bigint NOT NULL,
    mos_min double precision,
    metadata_updates integer NOT NULL,
    metadata_truncated integer NOT NULL DEFAULT 0,
    metadata_xml text,
    metadata_xml_bytes integer,
    extensions text,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_uuid, start_ts)
) PARTITION BY RANGE (start_ts);

CREATE INDEX IF NOT EXISTS siprec_sessions_start_ts ON siprec_sessions (start_ts);
CREATE INDEX IF NOT EXISTS siprec_sessions_call_id ON siprec_sessions (call_id);
CREATE INDEX IF NOT EXISTS siprec_sessions_recorded ON siprec_sessions USING gin (recorded_call_ids);

CREATE TABLE IF NOT EXISTS siprec_participants (
    session_uuid uuid NOT NULL,
    start_ts timestamptz NOT NULL,
    idx integer NOT NULL,
    participant_id text,
    aor text,
    name text,
    role text,
    PRIMARY KEY (session_uuid, start_ts, idx)
) PARTITION BY RANGE (start_ts);

CREATE TABLE IF NOT EXISTS siprec_streams (
    session_uuid uuid NOT NULL,
    start_ts timestamptz NOT NULL,
    idx integer NOT NULL,
    label text,
    stream_id text,
    codec text,
    payload_type integer,
    clock_rate integer,
    port integer,
    srtp boolean NOT NULL,
    srtp_suite text,
    packets bigint NOT NULL,
    bytes bigint NOT NULL,
    rtcp_packets bigint NOT NULL,
    lost bigint NOT NULL,
    jitter_ms double precision,
    mos double precision,
    srtp_auth_failures bigint NOT NULL,
    malformed bigint NOT NULL,
    socket_drops bigint NOT NULL,
    first_ts timestamptz,
    last_ts timestamptz,
    pauses integer NOT NULL,
    sender_id text,
    sender_aor text,
    PRIMARY KEY (session_uuid, start_ts, idx)
) PARTITION BY RANGE (start_ts);

INSERT INTO siphon_partitioned (tbl) VALUES
    ('siprec_sessions'), ('siprec_participants'), ('siprec_streams')
ON CONFLICT DO NOTHING;

-- The days that already have partitions get them for the new tables too.
DO $$
DECLARE
    d date;
BEGIN
    FOR d IN
        SELECT DISTINCT to_date(substring(c.relname FROM '_p([0-9]{8})$'), 'YYYYMMDD')
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'calls'::regclass
    LOOP
        PERFORM siphon_ensure_partitions(d);
    END LOOP;
END $$;

-- The user part of a participant's AOR ("sip:1000@host", "1000@host",
-- "tel:+331..."), as calls.caller / calls.callee hold it.
CREATE OR REPLACE FUNCTION siprec_aor_user(aor text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT nullif(regexp_replace(aor, '^(sips?:|tel:)?([^@;]*).*$', '\2'), '')
$$;

-- A session and the passively observed calls it recorded.  By Call-ID:
-- the calls whose Call-ID the metadata names (recorded_call_ids) and that
-- started between an hour before the session and a minute after its end
-- (a Call-ID names one call, not one forever).  Else, when no such call is
-- stored (the metadata names none, or another Call-ID than the one seen),
-- by participants: the calls from one participant's user to another's that
-- started within ten minutes before the session (ringing, a transfer) and
-- were still up when it started.  matched_by says which.  A view, not a
-- column written with the session: the call's row usually arrives after
-- the session's (a call is written once it ended and lingered), and either
-- may be replayed from a spool.
CREATE OR REPLACE VIEW siprec_session_calls AS
WITH by_id AS (
    SELECT s.session_uuid, s.start_ts AS session_start_ts, c.call_uuid,
           c.start_ts AS call_start_ts, c.call_id
    FROM siprec_sessions s
    JOIN calls c ON c.call_id = ANY (s.recorded_call_ids)
        AND c.start_ts >= s.start_ts - interval '1 hour'
        AND c.start_ts <= coalesce(s.end_ts, s.start_ts) + interval '1 minute'
)
SELECT session_uuid, session_start_ts, call_uuid, call_start_ts, call_id, 'call_id'::text AS matched_by
FROM by_id
UNION ALL
SELECT s.session_uuid, s.start_ts, c.call_uuid, c.start_ts, c.call_id, 'participants'::text
FROM siprec_sessions s
JOIN siprec_participants pa ON pa.session_uuid = s.session_uuid AND pa.start_ts = s.start_ts
JOIN siprec_participants pb ON pb.session_uuid = s.session_uuid AND pb.start_ts = s.start_ts
    AND pb.idx <> pa.idx
JOIN calls c ON c.caller = siprec_aor_user(pa.aor) AND c.callee = siprec_aor_user(pb.aor)
    AND c.start_ts >= s.start_ts - interval '10 minutes'
    AND c.start_ts <= s.start_ts + interval '1 minute'
    AND (c.end_ts IS NULL OR c.end_ts >= s.start_ts)
WHERE NOT EXISTS (SELECT 1 FROM by_id b WHERE b.session_uuid = s.session_uuid
                                           AND b.session_start_ts = s.start_ts);
