-- 0001_initial.sql - siphon's first schema: every table, its keys and indexes,
-- and the partition maintenance functions.  Applied by `siphon db migrate`
-- (the binary embeds this file); schema/README.md explains each table, key
-- and index.  Every time is timestamptz (UTC), every partitioned table is
-- split by day on its `ts`-like partition column, and every table carries
-- its Citus distribution column in each unique key.

CREATE TABLE IF NOT EXISTS siphon_schema (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);

-- Probes: one row per capturing siphon (a reference table under Citus).
CREATE TABLE probes (
    probe text PRIMARY KEY,
    hostname text,
    version text,
    first_seen timestamptz NOT NULL DEFAULT now(),
    last_seen timestamptz NOT NULL DEFAULT now()
);

-- Calls: one row per call record, the fields of the `analyze --json` call
-- contract (lists as jsonb), partitioned by the call's start.
CREATE TABLE calls (
    call_uuid uuid NOT NULL,
    start_ts timestamptz NOT NULL,
    probe text NOT NULL,
    call_id text NOT NULL,
    call_key bigint NOT NULL,
    from_uri text,
    to_uri text,
    caller text,
    callee text,
    src_ip inet,
    src_port integer,
    dst_ip inet,
    dst_port integer,
    transport text,
    state text NOT NULL,
    final_code smallint,
    reason text,
    ringing_ts timestamptz,
    answer_ts timestamptz,
    end_ts timestamptz,
    setup_ms double precision,
    setup_total_ms double precision,
    pdd_ms double precision,
    duration_s double precision,
    ended_by text,
    user_agent text,
    from_tag text,
    to_tag text,
    open_at_end boolean NOT NULL DEFAULT false,
    timed_out boolean NOT NULL DEFAULT false,
    evicted boolean NOT NULL DEFAULT false,
    sip_messages integer,
    invites integer,
    reinvites integer,
    challenges integer,
    early_dialogs integer,
    media text,
    mos double precision,
    mos_min double precision,
    rtcp_packets bigint,
    stream_count integer,
    dtmf jsonb,
    dtmf_dropped integer,
    flags jsonb,
    vq_reports jsonb,
    vq_dropped integer,
    PRIMARY KEY (call_uuid, start_ts)
) PARTITION BY RANGE (start_ts);

CREATE INDEX calls_start_ts ON calls (start_ts);
CREATE INDEX calls_caller_prefix ON calls (caller text_pattern_ops, start_ts);
CREATE INDEX calls_caller_suffix ON calls (reverse(caller) text_pattern_ops, start_ts);
CREATE INDEX calls_callee_prefix ON calls (callee text_pattern_ops, start_ts);
CREATE INDEX calls_callee_suffix ON calls (reverse(callee) text_pattern_ops, start_ts);
CREATE INDEX calls_src_ip ON calls (src_ip, start_ts);
CREATE INDEX calls_dst_ip ON calls (dst_ip, start_ts);
CREATE INDEX calls_call_id ON calls (call_id);
CREATE INDEX calls_state ON calls (state, start_ts);
CREATE INDEX calls_final_code ON calls (final_code, start_ts) WHERE final_code IS NOT NULL;
CREATE INDEX calls_mos ON calls (mos, start_ts) WHERE mos IS NOT NULL;

-- Streams: one row per RTP stream (of a call: call_uuid of the call, ts its
-- start; orphan: call_uuid derived from the probe and the flow, ts the
-- stream's first packet).
CREATE TABLE streams (
    call_uuid uuid NOT NULL,
    ts timestamptz NOT NULL,
    stream_id bigint NOT NULL,
    probe text NOT NULL,
    orphan boolean NOT NULL DEFAULT false,
    call_id text,
    direction text,
    media_index integer,
    classified_as text,
    src_ip inet,
    src_port integer,
    dst_ip inet,
    dst_port integer,
    ssrc bigint,
    payload_type smallint,
    codec text,
    clock_rate integer,
    packets bigint,
    bytes bigint,
    lost bigint,
    lost_wireshark bigint,
    duplicates bigint,
    out_of_order bigint,
    seq_errors bigint,
    jitter_ms double precision,
    jitter_mean_ms double precision,
    jitter_max_ms double precision,
    delta_min_ms double precision,
    delta_mean_ms double precision,
    delta_max_ms double precision,
    rtcp_packets bigint,
    first_ts timestamptz,
    last_ts timestamptz,
    mos double precision,
    r_factor double precision,
    mos_min double precision,
    effective_loss_pct double precision,
    rtcp jsonb,
    quality jsonb,
    dtmf jsonb,
    PRIMARY KEY (call_uuid, ts, stream_id)
) PARTITION BY RANGE (ts);

CREATE INDEX streams_mos ON streams (mos, ts) WHERE mos IS NOT NULL;
CREATE INDEX streams_src_ip ON streams (src_ip, ts);
CREATE INDEX streams_dst_ip ON streams (dst_ip, ts);

-- Quality intervals: one row per closed interval of a stream (from the
-- stream's record), keyed like the stream plus the interval's index.
CREATE TABLE quality_intervals (
    call_uuid uuid NOT NULL,
    ts timestamptz NOT NULL,
    stream_id bigint NOT NULL,
    idx integer NOT NULL,
    start_ts timestamptz NOT NULL,
    packets bigint,
    lost bigint,
    discards bigint,
    jitter_ms double precision,
    mos double precision,
    PRIMARY KEY (call_uuid, ts, stream_id, idx)
) PARTITION BY RANGE (ts);

-- SIP messages: every message seen, with its raw bytes.  call_uuid is null
-- outside calls; dist_uuid is the distribution column (call_uuid in a call,
-- else derived from the probe and the Call-ID, so a REGISTER transaction's
-- messages stay together).
CREATE TABLE sip_messages (
    dist_uuid uuid NOT NULL,
    ts timestamptz NOT NULL,
    msg_id bigint NOT NULL,
    call_uuid uuid,
    probe text NOT NULL,
    frame_no bigint,
    src_ip inet,
    src_port integer,
    dst_ip inet,
    dst_port integer,
    transport text,
    parse text NOT NULL,
    is_request boolean NOT NULL,
    method text,
    status_code smallint,
    reason_phrase text,
    call_id text,
    cseq bigint,
    cseq_method text,
    from_user text,
    to_user text,
    user_agent text,
    len integer NOT NULL,
    raw bytea NOT NULL,
    PRIMARY KEY (dist_uuid, ts, msg_id)
) PARTITION BY RANGE (ts);

CREATE INDEX sip_messages_call_uuid ON sip_messages (call_uuid, ts) WHERE call_uuid IS NOT NULL;
CREATE INDEX sip_messages_call_id ON sip_messages (call_id);
CREATE INDEX sip_messages_ts ON sip_messages USING brin (ts);

-- Registrations: one row per REGISTER transaction (the `registration`
-- event), distributed by a uuid of the probe and its Call-ID.
CREATE TABLE registrations (
    reg_uuid uuid NOT NULL,
    ts timestamptz NOT NULL,
    reg_id bigint NOT NULL,
    probe text NOT NULL,
    call_id text NOT NULL,
    request_ts timestamptz,
    aor text,
    "user" text,
    contact text,
    expires bigint,
    final_code smallint,
    src_ip inet,
    src_port integer,
    dst_ip inet,
    dst_port integer,
    transport text,
    challenged boolean NOT NULL DEFAULT false,
    attempts integer,
    timed_out boolean NOT NULL DEFAULT false,
    PRIMARY KEY (reg_uuid, ts, reg_id)
) PARTITION BY RANGE (ts);

CREATE INDEX registrations_user ON registrations ("user" text_pattern_ops, ts);
CREATE INDEX registrations_src_ip ON registrations (src_ip, ts);

-- Alerts: one row per incident update (alert/alert.h alert_t), partitioned
-- by the incident's first evidence so an incident's updates share a
-- partition; distributed by the incident's uuid.
CREATE TABLE alerts (
    incident_uuid uuid NOT NULL,
    first_ts timestamptz NOT NULL,
    alert_id bigint NOT NULL,
    probe text NOT NULL,
    incident_id bigint NOT NULL,
    alert_type text NOT NULL,
    severity text NOT NULL,
    phase text NOT NULL,
    src_ip inet,
    src_port integer,
    dst_ip inet,
    dst_port integer,
    target_user text,
    last_ts timestamptz NOT NULL,
    count bigint NOT NULL,
    summary text,
    evidence jsonb,
    PRIMARY KEY (incident_uuid, first_ts, alert_id)
) PARTITION BY RANGE (first_ts);

CREATE INDEX alerts_type ON alerts (alert_type, first_ts);
CREATE INDEX alerts_src_ip ON alerts (src_ip, first_ts);

-- Recordings: where a call's packets or audio were stored (the recording
-- component fills it), partitioned like the call.
CREATE TABLE recordings (
    call_uuid uuid NOT NULL,
    start_ts timestamptz NOT NULL,
    kind text NOT NULL,
    probe text NOT NULL,
    call_id text,
    locations jsonb NOT NULL,
    bytes bigint,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (call_uuid, start_ts, kind)
) PARTITION BY RANGE (start_ts);

-- The partitioned tables maintenance works on.
CREATE TABLE siphon_partitioned (
    tbl text PRIMARY KEY
);
INSERT INTO siphon_partitioned (tbl) VALUES
    ('calls'), ('streams'), ('quality_intervals'), ('sip_messages'),
    ('registrations'), ('alerts'), ('recordings');

-- Makes the partitions of day d (UTC) of every partitioned table; returns
-- how many it created.  Partition names: <table>_pYYYYMMDD.
CREATE FUNCTION siphon_ensure_partitions(d date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    t text;
    made integer := 0;
    pname text;
BEGIN
    FOR t IN SELECT tbl FROM siphon_partitioned ORDER BY tbl LOOP
        pname := t || '_p' || to_char(d, 'YYYYMMDD');
        IF to_regclass(pname) IS NULL THEN
            EXECUTE format('CREATE TABLE IF NOT EXISTS %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                           pname, t, (d::timestamp AT TIME ZONE 'UTC'),
                           ((d + 1)::timestamp AT TIME ZONE 'UTC'));
            made := made + 1;
        END IF;
    END LOOP;
    RETURN made;
END $$;

-- Drops every daily partition whose day ends at or before `before` (UTC
-- midnight of the first day to keep); returns the partitions dropped.
CREATE FUNCTION siphon_drop_partitions_before(before date) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    dropped integer := 0;
BEGIN
    FOR r IN
        SELECT c.relname AS part
        FROM siphon_partitioned p
        JOIN pg_inherits i ON i.inhparent = p.tbl::regclass
        JOIN pg_class c ON c.oid = i.inhrelid
        WHERE c.relname ~ '_p[0-9]{8}$'
          AND to_date(right(c.relname, 8), 'YYYYMMDD') < before
        ORDER BY c.relname
    LOOP
        EXECUTE format('DROP TABLE IF EXISTS %I', r.part);
        dropped := dropped + 1;
    END LOOP;
    RETURN dropped;
END $$;
