/* sink_url.c - the sink URLs of `alerts.sinks` (syntax in alert.h).
 *
 * One URL says everything about a sink except its secrets: the transport
 * in the scheme (syslog+udp, syslog+tcp, syslog+tls, ecs, webhook+https,
 * hec+https), where to deliver, and per-sink parameters in the query.  A
 * list of URLs is how collectors are usually named (Vector, Fluent Bit,
 * rsyslog's omfwd targets), and it lets any number of sinks of one kind
 * live side by side.  The parser is strict: an unknown scheme or
 * parameter, a parameter given twice, a host or path with bytes that
 * cannot appear there, or a value out of range is an error that names
 * it, so a typo never silently turns a sink off.  There is no
 * percent-decoding: file names and paths are taken as written.
 */
#include "alert_internal.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *scheme;
    alert_sink_kind_t kind;
    uint16_t port;
} alert__schemes[] = {
    {"syslog+udp", ALERT_SINK_SYSLOG_UDP, 514},  {"syslog+tcp", ALERT_SINK_SYSLOG_TCP, 514},
    {"syslog+tls", ALERT_SINK_SYSLOG_TLS, 6514}, {"ecs", ALERT_SINK_ECS_FILE, 0},
    {"webhook+https", ALERT_SINK_WEBHOOK, 443},  {"hec+https", ALERT_SINK_HEC, 8088},
};

const char *alert_sink_kind_name(alert_sink_kind_t k)
{
    for (size_t i = 0; i < sizeof alert__schemes / sizeof alert__schemes[0]; i++)
        if (alert__schemes[i].kind == k) return alert__schemes[i].scheme;
    return "unknown";
}

const char *alert_format_name(alert_format_t f)
{
    switch (f) {
    case ALERT_FMT_RFC5424:
        return "rfc5424";
    case ALERT_FMT_CEF:
        return "cef";
    case ALERT_FMT_LEEF:
        return "leef";
    }
    return "unknown";
}

static int alert__fail(char *err, size_t errlen, const char *fmt, const char *what)
{
    snprintf(err, errlen, fmt, what);
    return -1;
}

/* Copies [p, p+n) into dst (cap bytes) when it fits. */
static bool alert__put(char *dst, size_t cap, const char *p, size_t n)
{
    if (n >= cap) return false;
    memcpy(dst, p, n);
    dst[n] = '\0';
    return true;
}

static bool alert__host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
}

/* Printable ASCII that may appear in a URL path or a parameter value. */
static bool alert__url_char(char c)
{
    return c > 0x20 && c < 0x7f && !strchr("\"<>\\`{|}#", c);
}

static bool alert__u32(const char *p, size_t n, uint32_t max, uint32_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 10) return false;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return false;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    if (v > max) return false;
    *out = (uint32_t)v;
    return true;
}

/* LEEF's delimiter: one printable character other than '=' and '|', or
 * xHH / 0xHH for a byte such as TAB (LEEF 2.0 header syntax). */
static bool alert__leef_delim(const char *v, size_t n, char *out)
{
    if (n == 1 && v[0] > 0x20 && v[0] < 0x7f && v[0] != '=' && v[0] != '|' && v[0] != '\\') {
        *out = v[0];
        return true;
    }
    if (n >= 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) v++, n--;
    if (n != 3 || (v[0] != 'x' && v[0] != 'X')) return false;
    unsigned b = 0;
    for (int i = 1; i < 3; i++) {
        char c = v[i];
        unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                            : 16u;
        if (d > 15) return false;
        b = b * 16 + d;
    }
    /* a byte that can also appear inside values' escapes or the header is refused */
    if (b == 0 || b == '=' || b == '|' || b == '\\' || b == '\r' || b == '\n' || b >= 0x7f)
        return false;
    *out = (char)b;
    return true;
}

static int alert__param(alert_sink_spec_t *o, const char *k, size_t kn, const char *v, size_t vn,
                        unsigned *seen, char *err, size_t errlen)
{
    static const char *const names[] = {"format", "delimiter",  "facility",    "ca",
                                        "cert",   "key",        "secret_file", "token_file",
                                        "index",  "sourcetype", "queue"};
    char key[16];
    if (!alert__put(key, sizeof key, k, kn))
        return alert__fail(err, errlen, "%s", "unknown parameter");
    int id = -1;
    for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
        if (strcmp(key, names[i]) == 0) id = i;
    if (id < 0) return alert__fail(err, errlen, "unknown parameter '%s'", key);
    if (*seen & (1u << id)) return alert__fail(err, errlen, "parameter '%s' given twice", key);
    *seen |= 1u << id;
    bool syslog = o->kind <= ALERT_SINK_SYSLOG_TLS;
    bool tls = o->kind == ALERT_SINK_SYSLOG_TLS || o->kind == ALERT_SINK_WEBHOOK ||
               o->kind == ALERT_SINK_HEC;
    if (vn == 0) return alert__fail(err, errlen, "parameter '%s' has no value", key);
    switch (id) {
    case 0:
        if (!syslog) return alert__fail(err, errlen, "'%s' is for syslog sinks", key);
        if (vn == 7 && memcmp(v, "rfc5424", 7) == 0)
            o->format = ALERT_FMT_RFC5424;
        else if (vn == 3 && memcmp(v, "cef", 3) == 0)
            o->format = ALERT_FMT_CEF;
        else if (vn == 4 && memcmp(v, "leef", 4) == 0)
            o->format = ALERT_FMT_LEEF;
        else
            return alert__fail(err, errlen, "%s: expected rfc5424, cef or leef", key);
        return 0;
    case 1:
        if (!syslog) return alert__fail(err, errlen, "'%s' is for syslog sinks", key);
        if (!alert__leef_delim(v, vn, &o->leef_delim))
            return alert__fail(err, errlen,
                               "%s: expected one printable character (not = | \\) or xHH", key);
        return 0;
    case 2: {
        uint32_t f;
        if (!syslog) return alert__fail(err, errlen, "'%s' is for syslog sinks", key);
        if (!alert__u32(v, vn, 23, &f)) return alert__fail(err, errlen, "%s: expected 0..23", key);
        o->facility = (int)f;
        return 0;
    }
    case 3:
    case 4:
    case 5: {
        char *dst = id == 3 ? o->ca : id == 4 ? o->cert : o->key;
        if (!tls) return alert__fail(err, errlen, "'%s' is for TLS and HTTPS sinks", key);
        if (!alert__put(dst, ALERT_PATH_MAX, v, vn))
            return alert__fail(err, errlen, "%s: file name too long", key);
        return 0;
    }
    case 6:
    case 7:
        if ((id == 6 && o->kind != ALERT_SINK_WEBHOOK) || (id == 7 && o->kind != ALERT_SINK_HEC))
            return alert__fail(
                err, errlen, id == 6 ? "'%s' is for webhook sinks" : "'%s' is for hec sinks", key);
        if (!alert__put(id == 6 ? o->secret_file : o->token_file, ALERT_PATH_MAX, v, vn))
            return alert__fail(err, errlen, "%s: file name too long", key);
        return 0;
    case 8:
    case 9:
        if (o->kind != ALERT_SINK_HEC)
            return alert__fail(err, errlen, "'%s' is for hec sinks", key);
        for (size_t i = 0; i < vn; i++)
            if (!alert__host_char(v[i]) && v[i] != ':')
                return alert__fail(err, errlen, "%s: letters, digits, . - _ : only", key);
        if (!alert__put(id == 8 ? o->index : o->sourcetype, sizeof o->index, v, vn))
            return alert__fail(err, errlen, "%s: too long", key);
        return 0;
    default: {
        uint32_t q;
        if (!alert__u32(v, vn, ALERT_QUEUE_MAX, &q) || q == 0)
            return alert__fail(err, errlen, "%s: expected 1..1048576", key);
        o->queue = q;
        return 0;
    }
    }
}

int alert_sink_parse(const char *text, alert_sink_spec_t *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->facility = -1;
    o->leef_delim = '\t';
    if (err && errlen) err[0] = '\0';
    size_t len = strnlen(text, ALERT_URL_MAX + 1);
    if (len > ALERT_URL_MAX) return alert__fail(err, errlen, "%s", "longer than 1024 bytes");
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)text[i] <= 0x20 || (unsigned char)text[i] >= 0x7f)
            return alert__fail(err, errlen, "%s", "holds a space, a control or a non-ASCII byte");
    const char *colon = memchr(text, ':', len);
    if (!colon)
        return alert__fail(err, errlen, "%s",
                           "no scheme (syslog+udp://, syslog+tcp://, syslog+tls://, ecs:, "
                           "webhook+https://, hec+https://)");
    size_t sn = (size_t)(colon - text);
    int found = -1;
    for (size_t i = 0; i < sizeof alert__schemes / sizeof alert__schemes[0]; i++)
        if (strlen(alert__schemes[i].scheme) == sn &&
            memcmp(alert__schemes[i].scheme, text, sn) == 0)
            found = (int)i;
    if (found < 0) {
        char s[24];
        snprintf(s, sizeof s, "%.*s", (int)(sn < 20 ? sn : 20), text);
        return alert__fail(err, errlen,
                           "unknown scheme '%s' (syslog+udp, syslog+tcp, syslog+tls, ecs, "
                           "webhook+https, hec+https)",
                           s);
    }
    o->kind = alert__schemes[found].kind;
    o->port = alert__schemes[found].port;
    const char *p = colon + 1, *end = text + len;

    if (o->kind == ALERT_SINK_ECS_FILE) {
        if (p == end || *p != '/')
            return alert__fail(err, errlen, "%s", "ecs: expected an absolute file name, ecs:/PATH");
        if (end[-1] == '/') return alert__fail(err, errlen, "%s", "ecs: names a directory");
        if (!alert__put(o->path, sizeof o->path, p, (size_t)(end - p)))
            return alert__fail(err, errlen, "%s", "ecs: file name too long");
        snprintf(o->name, sizeof o->name, "ecs:%s", o->path);
        return 0;
    }

    if (end - p < 2 || p[0] != '/' || p[1] != '/')
        return alert__fail(err, errlen, "%s", "expected // and a host after the scheme");
    p += 2;
    /* host: [IPv6] or a name / IPv4 address */
    const char *h = p, *he;
    if (p < end && *p == '[') {
        const char *close = memchr(p, ']', (size_t)(end - p));
        if (!close) return alert__fail(err, errlen, "%s", "unclosed [ in the host");
        for (const char *q = p + 1; q < close; q++)
            if (!((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'f') ||
                  (*q >= 'A' && *q <= 'F') || *q == ':' || *q == '.'))
                return alert__fail(err, errlen, "%s", "bad IPv6 address in the host");
        h = p + 1, he = close;
        p = close + 1;
    } else {
        while (p < end && alert__host_char(*p))
            p++;
        he = p;
    }
    if (he == h) return alert__fail(err, errlen, "%s", "no host");
    if (!alert__put(o->host, sizeof o->host, h, (size_t)(he - h)))
        return alert__fail(err, errlen, "%s", "host name too long");
    if (p < end && *p == ':') {
        const char *ps = ++p;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
        uint32_t port;
        if (!alert__u32(ps, (size_t)(p - ps), 65535, &port) || port == 0)
            return alert__fail(err, errlen, "%s", "port: expected 1..65535");
        o->port = (uint16_t)port;
    }
    if (p < end && *p != '/' && *p != '?')
        return alert__fail(err, errlen, "%s", "unexpected character after the host");
    const char *ps = p;
    while (p < end && *p != '?') {
        if (!alert__url_char(*p))
            return alert__fail(err, errlen, "%s", "bad character in the path");
        p++;
    }
    size_t pn = (size_t)(p - ps);
    bool http = o->kind == ALERT_SINK_WEBHOOK || o->kind == ALERT_SINK_HEC;
    if (!http && !(pn == 0 || (pn == 1 && *ps == '/')))
        return alert__fail(err, errlen, "%s", "syslog sinks take no path");
    if (http) {
        const char *def = o->kind == ALERT_SINK_HEC ? "/services/collector/event" : "/";
        if (pn == 0 || (pn == 1 && o->kind == ALERT_SINK_HEC)) ps = def, pn = strlen(def);
        if (!alert__put(o->path, sizeof o->path, ps, pn))
            return alert__fail(err, errlen, "%s", "path too long");
    }
    bool v6 = memchr(o->host, ':', strlen(o->host)) != NULL;
    snprintf(o->name, sizeof o->name, "%s://%s%s%s:%u%s", alert__schemes[found].scheme,
             v6 ? "[" : "", o->host, v6 ? "]" : "", o->port, http ? o->path : "");

    unsigned seen = 0;
    if (p < end) p++; /* '?' */
    while (p < end) {
        const char *k = p;
        while (p < end && *p != '=' && *p != '&')
            p++;
        const char *ke = p, *v = p, *ve = p;
        if (p < end && *p == '=') {
            v = ++p;
            while (p < end && *p != '&') {
                if (!alert__url_char(*p))
                    return alert__fail(err, errlen, "%s", "bad character in a parameter");
                p++;
            }
            ve = p;
        }
        if (ke == k) return alert__fail(err, errlen, "%s", "empty parameter name");
        if (alert__param(o, k, (size_t)(ke - k), v, (size_t)(ve - v), &seen, err, errlen) != 0)
            return -1;
        if (p < end) p++; /* '&' */
    }
    if ((seen & 2u) && o->format != ALERT_FMT_LEEF)
        return alert__fail(err, errlen, "%s", "delimiter is for format=leef");
    return 0;
}
