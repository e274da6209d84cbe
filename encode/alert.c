/* alert.c - the NDJSON of an alert (one incident update), the contract
 * `siphon analyze --alerts --json` writes and storage and the web speak:
 *
 *   {"type":"alert","alert_type","severity","phase","incident_id","src_ip",
 *    "src_port","dst_ip","dst_port","target_user","first_ts","last_ts",
 *    "count","summary","evidence":{...}}
 *
 * incident_id is written as a decimal string: it is a 64-bit hash and
 * JSON readers that hold numbers as doubles would round it.  Addresses
 * and ports are null when the alert has none (family 0, port 0),
 * target_user null when empty.  The evidence is the detector's object,
 * already valid JSON, written as it is; everything from the wire in it and
 * in the other strings was escaped by the JSON writer.
 */
#include "encode.h"

#include <stdio.h>
#include <string.h>

void enc_alert_json(buf_t *out, const alert_t *a)
{
    json_writer_t w;
    json_init(&w, out);
    json_obj_begin(&w);
    json_key(&w, "type");
    json_cstr(&w, "alert");
    json_key(&w, "alert_type");
    json_cstr(&w, alert_type_name(a->type));
    json_key(&w, "severity");
    json_cstr(&w, alert_severity_name(a->severity));
    json_key(&w, "phase");
    json_cstr(&w, alert_phase_name(a->phase));
    char id[24];
    snprintf(id, sizeof id, "%llu", (unsigned long long)a->incident_id);
    json_key(&w, "incident_id");
    json_cstr(&w, id);
    json_key(&w, "src_ip");
    json_ip(&w, &a->src.ip);
    json_key(&w, "src_port");
    if (a->src.port)
        json_uint(&w, a->src.port);
    else
        json_null(&w);
    json_key(&w, "dst_ip");
    json_ip(&w, &a->dst.ip);
    json_key(&w, "dst_port");
    if (a->dst.port)
        json_uint(&w, a->dst.port);
    else
        json_null(&w);
    json_key(&w, "target_user");
    json_cstr(&w, a->target_user && a->target_user[0] ? a->target_user : NULL);
    json_key(&w, "first_ts");
    json_ts(&w, a->first_ts_ns);
    json_key(&w, "last_ts");
    json_ts(&w, a->last_ts_ns);
    json_key(&w, "count");
    json_uint(&w, a->count);
    json_key(&w, "summary");
    json_cstr(&w, a->summary ? a->summary : "");
    json_key(&w, "evidence");
    /* the raw object: the writer's comma bookkeeping already placed the key */
    const char *ev = a->evidence_json && a->evidence_json[0] ? a->evidence_json : "{}";
    buf_append(out, ev, strlen(ev));
    json_obj_end(&w);
    buf_putc(out, '\n');
}
