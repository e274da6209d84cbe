-- 0006_compact_quality.sql - a stream's quality object stored compactly,
-- and the function that gives the whole object back.
--
-- streams.quality holds, from this version on, only what the row's columns
-- do not (mos, r_factor, mos_min, effective_loss_pct are columns) and what
-- differs from the usual value (storage/quality_row.c): a count or figure
-- of 0, loss_runs all 0, mos_scale "narrowband" for a scored stream, an
-- unknown rtt_ms or ptime_ms are left out; null is written as null.  Such
-- an object never has the key "mos"; a full one (rows written before this
-- version) always has it.  No rewrite: old rows stay as they are.
--
-- siphon_stream_quality(s): the stream's full quality object, the
-- contract's keys and values (analyze --json), from either form.
CREATE OR REPLACE FUNCTION siphon_stream_quality(s streams) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
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
                (s.quality->'emodel') || jsonb_build_object(
                  'rtt_ms', coalesce(s.quality->'emodel'->'rtt_ms', 'null'),
                  'ptime_ms', coalesce(s.quality->'emodel'->'ptime_ms', 'null'))
              END,
    'jb_adaptive_max_ms', s.quality->'jb_adaptive_max_ms')
END
$$;
