/* encode.h - the JSON encoders of the record contract.
 *
 * One function per record or event the correlator hands its sinks
 * (correlator.h corr_sink_t): each appends one JSON object to a buf_t.
 * NDJSON output (output/), storage's JSON columns and the web API all
 * encode with these, so a field means the same everywhere; README.md
 * documents the fields.  Field names are a contract: fields may be added,
 * never renamed.
 *
 * Public prefix enc_; encode/ has no internal header.
 */
#ifndef SIPHON_ENCODE_H
#define SIPHON_ENCODE_H

#include "alert.h"
#include "core.h"
#include "correlator.h"
#include "proto.h"
#include "siprec.h"

/* A finished call with its streams, then a newline. */
void enc_call_json(buf_t *out, const corr_call_t *call);
/* One stream object, no newline (it is also an element of a call's
 * "streams"); orphan: a top-level record with "type":"stream" and "call_id":null. */
void enc_stream_json(buf_t *out, const corr_stream_t *s, bool orphan);
/* An RFC 6035 report whose call is not in the capture (or already
 * written), then a newline. */
void enc_vq_report_json(buf_t *out, const corr_vq_report_t *r);
/* Lifecycle events (README.md, "Events"): call_started / call_answered,
 * registration, quality_interval; one object and a newline each. */
void enc_call_event_json(buf_t *out, const corr_call_event_t *ev);
void enc_registration_json(buf_t *out, const corr_registration_t *r);
void enc_interval_json(buf_t *out, const corr_interval_event_t *ev);
/* One SIP message (README.md, "Messages"): type sip_message, with the
 * message text JSON-escaped. */
void enc_sip_message_json(buf_t *out, const corr_sip_message_t *m);

/* Parts of the objects above, for consumers that keep them apart
 * (storage's jsonb columns): a call's "dtmf", "flags" or "vq_reports"
 * array; a stream's "rtcp" value (object or null), its quality members
 * (mos ... jb_adaptive_max_ms, without "intervals") as one object, and an
 * orphan's "dtmf" array. */
typedef enum { ENC_CALL_DTMF = 0, ENC_CALL_FLAGS, ENC_CALL_VQ_REPORTS } enc_call_list_t;
void enc_call_list_json(buf_t *out, const corr_call_t *c, enc_call_list_t which);
void enc_stream_rtcp_json(buf_t *out, const corr_stream_t *s);
void enc_stream_quality_json(buf_t *out, const corr_stream_t *s);
void enc_stream_dtmf_json(buf_t *out, const corr_stream_t *s);
/* An ended SIPREC recording session (siprec.h), type siprec_session, then
 * a newline (README.md, "SIPREC sessions"). */
void enc_siprec_session_json(buf_t *out, const srs_session_t *s);
/* One alert, an incident update (alert.h), then a newline: type alert,
 * alert_type, severity, phase, incident_id (decimal string), src/dst
 * ip and port, target_user, first_ts, last_ts, count, summary, evidence
 * (README.md, "Alerts"). */
void enc_alert_json(buf_t *out, const alert_t *a);

/* Derived figures, the same in JSON and in the table. */
/* Post-dial setup time: INVITE to answer, or to the final response that
 * decided a failed call; negative when unknown. */
double enc_call_setup_ms(const corr_call_t *c);
/* setup_total_ms and pdd_ms of the call contract; negative when unknown. */
double enc_call_setup_total_ms(const corr_call_t *c);
double enc_call_pdd_ms(const corr_call_t *c);
/* Talk time: answer to end, answered calls only; negative when unknown. */
double enc_call_duration_s(const corr_call_t *c);
/* "caller", "callee" or NULL (unknown). */
const char *enc_ended_by_name(corr_ended_by_t e);

#endif /* SIPHON_ENCODE_H */
