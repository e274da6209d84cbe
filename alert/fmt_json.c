/* fmt_json.c - the JSON formats: an Elastic Common Schema document per
 * alert (the ECS file sink) and the Splunk HEC envelope around the
 * contract's object (the HEC sink).
 *
 * ECS: event.kind "alert", event.category ["network",
 * "intrusion_detection"], event.type ["info"], event.action the alert
 * type, event.severity 1-10, rule.id/rule.name, source and destination,
 * network.protocol "sip", user.target.name, observer; what ECS has no
 * field for sits under siphon.alert (incident_id, phase, count and the
 * evidence object), a namespace of our own as ECS asks.  Strings go
 * through core's JSON writer (escaped, ill-formed UTF-8 replaced).
 *
 * HEC: {"time":seconds,"host","source":"siphon","sourcetype","index",
 * "event":<the contract's object>}; a batch is such objects back to back
 * (Splunk's documented batching).
 */
#include "alert_internal.h"

#include <string.h>

/* The evidence: already JSON text (alert.h), written as the value of key.
 * The hub checked it (json_check.c), so a CR or LF in it is whitespace
 * between tokens (a string holds none raw): written as a space, the ECS
 * document stays one line. */
static void alert__json_raw(json_writer_t *w, const char *key, const char *json)
{
    json_key(w, key);
    const char *ev = json && json[0] ? json : "{}";
    for (size_t n; *ev; ev += n) {
        n = strcspn(ev, "\r\n");
        buf_append(w->out, ev, n);
        if (ev[n]) buf_putc(w->out, ' '), n++;
    }
    w->need_comma[w->depth] = true;
}

static void alert__ecs_endpoint(json_writer_t *w, const char *key, const endpoint_t *e)
{
    if (e->ip.family == IP_NONE) return;
    json_key(w, key);
    json_obj_begin(w);
    json_key(w, "ip");
    json_ip(w, &e->ip);
    if (e->port) {
        json_key(w, "port");
        json_uint(w, e->port);
    }
    json_obj_end(w);
}

void alert__fmt_ecs(buf_t *out, const alert_t *a, const char *hostname)
{
    json_writer_t w;
    json_init(&w, out);
    json_obj_begin(&w);
    json_key(&w, "@timestamp");
    json_ts(&w, a->last_ts_ns > 0 ? a->last_ts_ns : clock_real_ns());
    json_key(&w, "ecs");
    json_obj_begin(&w);
    json_key(&w, "version");
    json_cstr(&w, "8.11.0");
    json_obj_end(&w);
    json_key(&w, "message");
    json_cstr(&w, a->summary ? a->summary : "");

    json_key(&w, "event");
    json_obj_begin(&w);
    json_key(&w, "kind");
    json_cstr(&w, "alert");
    json_key(&w, "category");
    json_arr_begin(&w);
    json_cstr(&w, "network");
    json_cstr(&w, "intrusion_detection");
    json_arr_end(&w);
    json_key(&w, "type");
    json_arr_begin(&w);
    json_cstr(&w, "info");
    json_arr_end(&w);
    json_key(&w, "action");
    json_cstr(&w, alert_type_name(a->type));
    json_key(&w, "severity");
    json_int(&w, alert__sev_ten(a->severity));
    json_key(&w, "start");
    json_ts(&w, a->first_ts_ns);
    json_key(&w, "end");
    json_ts(&w, a->last_ts_ns);
    json_key(&w, "created");
    json_ts(&w, clock_real_ns());
    json_key(&w, "module");
    json_cstr(&w, "siphon");
    json_key(&w, "dataset");
    json_cstr(&w, "siphon.alerts");
    json_obj_end(&w);

    json_key(&w, "rule");
    json_obj_begin(&w);
    buf_t id;
    buf_init(&id);
    buf_printf(&id, "siphon.%s", alert_type_name(a->type));
    json_key(&w, "id");
    json_str(&w, (sv_t){id.data, id.len});
    buf_free(&id);
    json_key(&w, "name");
    json_cstr(&w, alert__type_title(a->type));
    json_obj_end(&w);

    alert__ecs_endpoint(&w, "source", &a->src);
    alert__ecs_endpoint(&w, "destination", &a->dst);
    json_key(&w, "network");
    json_obj_begin(&w);
    json_key(&w, "protocol");
    json_cstr(&w, "sip");
    json_obj_end(&w);
    if (a->target_user && a->target_user[0]) {
        json_key(&w, "user");
        json_obj_begin(&w);
        json_key(&w, "target");
        json_obj_begin(&w);
        json_key(&w, "name");
        json_cstr(&w, a->target_user);
        json_obj_end(&w);
        json_obj_end(&w);
    }
    json_key(&w, "observer");
    json_obj_begin(&w);
    json_key(&w, "vendor");
    json_cstr(&w, "siphon");
    json_key(&w, "product");
    json_cstr(&w, "siphon");
    json_key(&w, "type");
    json_cstr(&w, "ids");
    json_key(&w, "hostname");
    json_cstr(&w, hostname);
    json_obj_end(&w);

    json_key(&w, "siphon");
    json_obj_begin(&w);
    json_key(&w, "alert");
    json_obj_begin(&w);
    json_key(&w, "incident_id");
    json_uint(&w, a->incident_id);
    json_key(&w, "phase");
    json_cstr(&w, alert_phase_name(a->phase));
    json_key(&w, "severity");
    json_cstr(&w, alert_severity_name(a->severity));
    json_key(&w, "count");
    json_uint(&w, a->count);
    alert__json_raw(&w, "evidence", a->evidence_json);
    json_obj_end(&w);
    json_obj_end(&w);
    json_obj_end(&w);
}

void alert__fmt_hec(buf_t *out, const alert_t *a, const alert__sink_env_t *env)
{
    json_writer_t w;
    json_init(&w, out);
    json_obj_begin(&w);
    int64_t t = a->last_ts_ns > 0 ? a->last_ts_ns : clock_real_ns();
    json_key(&w, "time");
    json_double(&w, (double)t / 1e9, 3);
    json_key(&w, "host");
    json_cstr(&w, env->hostname);
    json_key(&w, "source");
    json_cstr(&w, "siphon");
    json_key(&w, "sourcetype");
    json_cstr(&w, env->spec->sourcetype[0] ? env->spec->sourcetype : "_json");
    if (env->spec->index[0]) {
        json_key(&w, "index");
        json_cstr(&w, env->spec->index);
    }
    json_key(&w, "event");
    size_t at = out->len;
    env->encode(out, a);
    while (out->len > at && (out->data[out->len - 1] == '\n' || out->data[out->len - 1] == ' '))
        out->len--;
    if (out->len == at) buf_append(out, "{}", 2);
    w.need_comma[w.depth] = true;
    json_obj_end(&w);
}
