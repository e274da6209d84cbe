-- 0006_compact_quality.sql - a stream's quality object stored compactly,
-- and the function that gives the whole object back.
--
-- streams.quality holds, from this version on, only what the row's columns
-- do not (mos, r_factor, mos_min, effective_loss_pct are columns) and what
-- differs from the usual value (storage/quality_row.c): a count or figure
-- of 0, loss_runs all 0, mos_scale "narrowband" for a scored stream, an
-- unknown rtt_ms or ptime_ms are left out, and the E-model's source
-- sentence, when it is one siphon ships, is named by its key in
-- siphon_emodel_sources (emodel.src); null is written as null.  Such
-- an object never has the key "mos"; a full one (rows written before this
-- version) always has it.  No rewrite: old rows stay as they are.
--
-- siphon_emodel_sources: the sentences saying where a built-in codec row's
-- Ie and Bpl come from (quality/codec_table.c), by key.  A key names one
-- sentence forever: a changed sentence is a new key in a new migration
-- (test_storage_quality_row checks the built-in rows against this list).
CREATE TABLE IF NOT EXISTS siphon_emodel_sources (
    key text PRIMARY KEY,
    source text NOT NULL
);
INSERT INTO siphon_emodel_sources (key, source) VALUES
    ('g711', 'G.113 Appendix I, widely quoted (G.711 with Appendix I PLC; use G711-NOPLC for endpoints without PLC)'),
    ('g711-noplc', 'G.113 Appendix I, widely quoted (G.711 without PLC)'),
    ('g729', 'G.113 Appendix I, widely quoted (G.729A + VAD; SDP G729 does not tell G.729 from G.729A)'),
    ('g723', 'G.113 Appendix I (G.723.1 6.3 kbit/s), commonly quoted, unconfirmed'),
    ('g726-32', 'Ie: G.113 Appendix I (G.726 32 kbit/s), commonly quoted, unconfirmed; Bpl: configurable, sources disagree (4.3 assumes no PLC)'),
    ('gsm', 'Ie: G.113 Appendix I (GSM 06.10 full rate), commonly quoted, unconfirmed; Bpl: configurable, sources disagree'),
    ('gsm-efr', 'configurable, sources disagree'),
    ('ilbc', 'configurable, sources disagree (Ie 10..15 and Bpl 20..32 are quoted for 15.2/13.3 kbit/s)'),
    ('amr', 'Ie: G.113 Appendix I (AMR 12.2 kbit/s), commonly quoted, unconfirmed; Bpl: configurable, sources disagree'),
    ('g722', 'configurable, sources disagree: narrowband-equivalent (G.711-grade Ie 0, PLC Bpl 25.1); G.113 gives Ie,wb 13 on the G.107.1 scale'),
    ('amr-wb', 'configurable, sources disagree: narrowband-equivalent (Ie 0 assumed at 12.65 kbit/s and above)'),
    ('opus', 'configurable, sources disagree: narrowband-equivalent (Ie 0 at wideband bitrates, PLC Bpl as G.711 Appendix I)')
ON CONFLICT (key) DO NOTHING;
--
-- siphon_stream_quality(s): the stream's full quality object, the
-- contract's keys and values (analyze --json), from either form.
CREATE OR REPLACE FUNCTION siphon_stream_quality(s streams) RETURNS jsonb
LANGUAGE sql STABLE AS $$
SELECT CASE
  WHEN s.quality IS NULL OR s.quality ? 'mos' THEN s.quality
  ELSE jsonb_build_object(
    'mos', s.mos,
    'r_factor', s.r_factor,
    'mos_min', s.mos_min,
    'mos_scale', coalesce(s.quality->'mos_scale',
                          CASE WHEN s.mos IS NULL THEN 'null' ELSE '"narrowband"' END::jsonb),
    'effective_loss_pct', s.effective_loss_pct,
    'discards', coalesce(s.quality->'discards', '0'),
    'discards_adaptive', coalesce(s.quality->'discards_adaptive', '0'),
    'burst_density', coalesce(s.quality->'burst_density', '0'),
    'gap_density', coalesce(s.quality->'gap_density', '0'),
    'burst_duration_ms', coalesce(s.quality->'burst_duration_ms', '0'),
    'gap_duration_ms', coalesce(s.quality->'gap_duration_ms', '0'),
    'burst_mean_len', coalesce(s.quality->'burst_mean_len', '0'),
    'loss_runs', coalesce(s.quality->'loss_runs',
                          '{"1": 0, "2": 0, "3": 0, "4": 0, "5-9": 0, "10+": 0}'),
    'emodel', CASE WHEN s.quality ? 'emodel' THEN
                ((s.quality->'emodel') - 'src') || jsonb_build_object(
                  'rtt_ms', coalesce(s.quality->'emodel'->'rtt_ms', 'null'),
                  'ptime_ms', coalesce(s.quality->'emodel'->'ptime_ms', 'null'),
                  'source', coalesce(s.quality->'emodel'->'source',
                                     (SELECT to_jsonb(e.source) FROM siphon_emodel_sources e
                                      WHERE e.key = s.quality->'emodel'->>'src'), 'null'))
              END,
    'jb_adaptive_max_ms', s.quality->'jb_adaptive_max_ms')
END
$$;
