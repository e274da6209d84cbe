/* json_check.c - is a string one well-formed JSON object?
 *
 * The evidence of an alert arrives as JSON text (alert.h) and is written
 * as it is into the ECS document and every syslog format.  The hub checks
 * it once when it copies an alert: a broken evidence (a detector's bug)
 * is replaced by {"invalid_evidence":true} instead of breaking every
 * SIEM record after it.  RFC 8259 syntax, nesting at most 32 deep, no
 * allocation; UTF-8 inside strings is the writers' business (escape.c,
 * core's JSON writer), so only the structure is checked here.
 */
#include "alert_internal.h"

typedef struct {
    const char *p, *end;
    int depth;
} alert__jc_t;

static void alert__jc_ws(alert__jc_t *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static bool alert__jc_value(alert__jc_t *c);

static bool alert__jc_string(alert__jc_t *c)
{
    if (c->p >= c->end || *c->p != '"') return false;
    c->p++;
    while (c->p < c->end) {
        unsigned char ch = (unsigned char)*c->p++;
        if (ch == '"') return true;
        if (ch < 0x20) return false;
        if (ch != '\\') continue;
        if (c->p >= c->end) return false;
        char e = *c->p++;
        if (e == 'u') {
            for (int i = 0; i < 4; i++, c->p++) {
                if (c->p >= c->end) return false;
                char h = *c->p;
                if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F')))
                    return false;
            }
        } else if (!(e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                     e == 'r' || e == 't')) {
            return false;
        }
    }
    return false;
}

static bool alert__jc_digits(alert__jc_t *c)
{
    const char *s = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
        c->p++;
    return c->p > s;
}

static bool alert__jc_number(alert__jc_t *c)
{
    if (c->p < c->end && *c->p == '-') c->p++;
    if (c->p < c->end && *c->p == '0')
        c->p++;
    else if (!alert__jc_digits(c))
        return false;
    if (c->p < c->end && *c->p == '.') {
        c->p++;
        if (!alert__jc_digits(c)) return false;
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-')) c->p++;
        if (!alert__jc_digits(c)) return false;
    }
    return true;
}

static bool alert__jc_word(alert__jc_t *c, const char *w)
{
    for (; *w; w++, c->p++)
        if (c->p >= c->end || *c->p != *w) return false;
    return true;
}

static bool alert__jc_container(alert__jc_t *c, char close)
{
    if (++c->depth > 32) return false;
    c->p++;
    alert__jc_ws(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
        c->depth--;
        return true;
    }
    for (;;) {
        alert__jc_ws(c);
        if (close == '}') {
            if (!alert__jc_string(c)) return false;
            alert__jc_ws(c);
            if (c->p >= c->end || *c->p != ':') return false;
            c->p++;
        }
        if (!alert__jc_value(c)) return false;
        alert__jc_ws(c);
        if (c->p >= c->end) return false;
        if (*c->p == ',') {
            c->p++;
            continue;
        }
        if (*c->p != close) return false;
        c->p++;
        c->depth--;
        return true;
    }
}

static bool alert__jc_value(alert__jc_t *c)
{
    alert__jc_ws(c);
    if (c->p >= c->end) return false;
    switch (*c->p) {
    case '{':
        return alert__jc_container(c, '}');
    case '[':
        return alert__jc_container(c, ']');
    case '"':
        return alert__jc_string(c);
    case 't':
        return alert__jc_word(c, "true");
    case 'f':
        return alert__jc_word(c, "false");
    case 'n':
        return alert__jc_word(c, "null");
    default:
        return alert__jc_number(c);
    }
}

bool alert__json_object_valid(const char *s, size_t n)
{
    alert__jc_t c = {s, s + n, 0};
    alert__jc_ws(&c);
    if (c.p >= c.end || *c.p != '{') return false;
    if (!alert__jc_value(&c)) return false;
    alert__jc_ws(&c);
    return c.p == c.end;
}
