-- search_rows.sql - :n generated call rows for the search benchmark
-- (bench_storage.sh), spread evenly over the :days days before now, in the
-- schema's `calls` table.  Every value is derived from the row number by
-- hashes, so two runs load the same rows, with the distributions of a
-- PBX's traffic: 70 % answered, 10 % busy, 8 % cancelled, 8 % rejected
-- (403, 404, 480, 503), 4 % unanswered; six-digit extensions calling
-- E.164 numbers; 1,000 phones behind 8 SBC addresses; real User-Agent
-- strings; MOS 4.2-4.4 for most answered calls, 2.4-4.4 for one in ten;
-- one call in 50 flagged one_way_audio.
--   psql -v n=1000000 -v days=7 -f search_rows.sql
SELECT siphon_ensure_partitions((now() AT TIME ZONE 'UTC')::date - d)
FROM generate_series(0, :days + 1) AS d;

INSERT INTO calls (call_uuid, start_ts, probe, call_id, call_key, from_uri, to_uri, caller, callee,
                   src_ip, src_port, dst_ip, dst_port, transport, state, final_code, reason,
                   ringing_ts, answer_ts, end_ts, setup_ms, setup_total_ms, pdd_ms, duration_s,
                   ended_by, user_agent, from_tag, to_tag, sip_messages, invites, reinvites,
                   challenges, early_dialogs, media, mos, mos_min, rtcp_packets, stream_count, dtmf,
                   dtmf_dropped, flags, vq_reports, vq_dropped)
SELECT md5('call' || n)::uuid,
       t,
       'bench',
       md5(n::text) || '@10.1.' || (n % 4) || '.' || (1 + (n / 4) % 250),
       hashint8(n),
       'sip:' || caller || '@pbx.example.com',
       'sip:' || callee || '@carrier.example.net',
       caller,
       callee,
       ('10.1.' || (n % 4) || '.' || (1 + (n / 4) % 250))::inet, 5060,
       ('192.0.2.' || (1 + n % 8))::inet, 5060,
       'udp',
       state,
       code,
       CASE code WHEN 200 THEN 'OK' WHEN 486 THEN 'Busy Here' WHEN 487 THEN 'Request Terminated'
                 WHEN 403 THEN 'Forbidden' WHEN 404 THEN 'Not Found'
                 WHEN 480 THEN 'Temporarily Unavailable' WHEN 503 THEN 'Service Unavailable' END,
       CASE WHEN state <> 'unanswered' THEN t + interval '1.2 s' END,
       CASE WHEN state = 'answered' THEN t + interval '4 s' END,
       CASE WHEN state = 'answered' THEN t + interval '4 s' + talk * interval '1 s'
            WHEN state = 'unanswered' THEN NULL
            ELSE t + interval '9 s' END,
       CASE WHEN state = 'answered' THEN 4000 WHEN state = 'unanswered' THEN NULL ELSE 9000 END,
       CASE WHEN state = 'answered' THEN 4000 WHEN state = 'unanswered' THEN NULL ELSE 9000 END,
       CASE WHEN state <> 'unanswered' THEN 1200 END,
       CASE WHEN state = 'answered' THEN talk END,
       CASE WHEN state = 'answered' THEN (ARRAY['caller', 'callee'])[1 + n % 2] END,
       (ARRAY['Yealink SIP-T46S 66.86.0.15', 'PolycomVVX-VVX_450-UA/6.4.2.5233',
              'Cisco-CP8845/12.8.1', 'Asterisk PBX 18.20.0', 'FPBX-16.0.33(18.20.0)',
              'Grandstream GXP2170 1.0.11.23', 'Z 5.6.1 v2.10.19.4',
              'Linphone/5.2.0 (belle-sip/5.2.0)'])[1 + n % 8],
       substr(md5('f' || n), 1, 10),
       CASE WHEN state <> 'unanswered' THEN substr(md5('t' || n), 1, 10) END,
       CASE WHEN state = 'answered' THEN 7 ELSE 5 END,
       1, 0, 0, 0,
       'audio',
       mos,
       CASE WHEN mos IS NOT NULL THEN mos - 0.3 END,
       CASE WHEN state = 'answered' THEN talk / 5 * 2 END,
       CASE WHEN state = 'answered' THEN 2 ELSE 0 END,
       '[]',
       0,
       CASE WHEN state = 'answered' AND n % 50 = 0 THEN
           '[{"flag": "one_way_audio", "evidence": {"audio_from": "caller", "packets": 2500, "packets_other_way": 0}}]'
       ELSE '[]' END::jsonb,
       '[]',
       0
FROM (
    SELECT n, t, caller, callee, talk,
           CASE WHEN h < 70 THEN 'answered' WHEN h < 80 THEN 'busy' WHEN h < 88 THEN 'cancelled'
                WHEN h < 96 THEN 'rejected' ELSE 'unanswered' END AS state,
           CASE WHEN h < 70 THEN 200 WHEN h < 80 THEN 486 WHEN h < 88 THEN 487
                WHEN h < 96 THEN (ARRAY[403, 404, 480, 503])[1 + n % 4] END AS code,
           CASE WHEN h < 70 THEN
               CASE WHEN h2 % 10 = 0 THEN 2.4 + (h2 % 200) / 100.0 ELSE 4.2 + (h2 % 20) / 100.0 END
           END AS mos
    FROM (
        SELECT n,
               now() - (n * (:days * 86400.0 / :n)) * interval '1 s' AS t,
               (100000 + abs(hashint4(n + 1)) % 900000)::text AS caller,
               '+4930' || lpad((abs(hashint4(n + 2)) % 10000000)::text, 7, '0') AS callee,
               30 + abs(hashint4(n + 3)) % 300 AS talk,
               abs(hashint4(n)) % 100 AS h,
               abs(hashint4(n + 4)) AS h2
        FROM generate_series(1, :n) AS n
    ) AS g
) AS r;

ANALYZE calls;
