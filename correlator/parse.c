/* parse.c - a SIP parse made on one thread, taken on another.
 *
 * The router parses every SIP message on the capture thread (it needs the
 * Call-ID and the SDP); the shard that owns the call needs the same parse.
 * Rather than parsing the header block twice, the pipeline carries the
 * parse after the datagram's bytes in its ring record, and the shard
 * rebuilds the sip_msg_t from it: the parser's status, the message's fixed
 * fields and its header_count headers (not the whole 96-entry array), with
 * every view turned into the same offset into the copied bytes.
 *
 * Layout: parse_hdr_t, then sip_msg_t up to its headers, then the headers.
 * Views are read back only when they lie inside the message's bytes (an
 * empty view otherwise), so a record can never make the correlator read
 * outside its datagram.
 */
#include "correlator_internal.h"

typedef struct {
    uint32_t status; /* proto_status_t */
    uint32_t header_count;
    uint64_t base; /* address of the bytes the views pointed into */
} parse_hdr_t;

#define FIXED_BYTES offsetof(sip_msg_t, headers)

/* Every view of sip_msg_t is listed in rebase_msg: a new field must be. */
_Static_assert(offsetof(sip_msg_t, header_count) == 464 && sizeof(sip_name_addr_t) == 104,
               "sip_msg_t changed: rebase its new views in parse.c");

static uint32_t header_count(const sip_msg_t *m, proto_status_t st)
{
    if (st == PROTO_INVALID) return 0;
    return m->header_count < SIP_MAX_HEADERS ? m->header_count : SIP_MAX_HEADERS;
}

size_t corr__parse_size(const sip_msg_t *m, proto_status_t st)
{
    return sizeof(parse_hdr_t) + FIXED_BYTES + header_count(m, st) * sizeof(sip_header_t);
}

void corr__parse_write(const sip_msg_t *m, proto_status_t st, const uint8_t *base, void *out)
{
    uint32_t n = header_count(m, st);
    parse_hdr_t h = {.status = (uint32_t)st, .header_count = n, .base = (uint64_t)(uintptr_t)base};
    uint8_t *p = out;
    memcpy(p, &h, sizeof h);
    memcpy(p + sizeof h, m, FIXED_BYTES);
    memcpy(p + sizeof h + FIXED_BYTES, m->headers, n * sizeof(sip_header_t));
}

/* A view into the old bytes becomes the same view into the new ones. */
static void rebase(sv_t *v, uint64_t old, const uint8_t *base, size_t len)
{
    if (!v->p) return;
    uint64_t at = (uint64_t)(uintptr_t)v->p;
    if (at < old || at - old > len || v->len > len - (at - old)) {
        *v = (sv_t){0};
        return;
    }
    v->p = (const char *)base + (at - old);
}

static void rebase_addr(sip_name_addr_t *a, uint64_t old, const uint8_t *base, size_t len)
{
    rebase(&a->display, old, base, len);
    rebase(&a->uri, old, base, len);
    rebase(&a->scheme, old, base, len);
    rebase(&a->user, old, base, len);
    rebase(&a->host, old, base, len);
    rebase(&a->tag, old, base, len);
}

static void rebase_msg(sip_msg_t *m, uint64_t old, const uint8_t *base, size_t len)
{
    sv_t *views[] = {&m->method_name,      &m->request_uri, &m->reason_phrase, &m->call_id,
                     &m->cseq_method_name, &m->via,         &m->via_branch,    &m->via_transport,
                     &m->contact,          &m->user_agent,  &m->server,        &m->reason,
                     &m->content_type,     &m->body};
    for (size_t i = 0; i < sizeof views / sizeof *views; i++)
        rebase(views[i], old, base, len);
    rebase_addr(&m->from, old, base, len);
    rebase_addr(&m->to, old, base, len);
    for (uint32_t i = 0; i < m->header_count; i++) {
        rebase(&m->headers[i].name, old, base, len);
        rebase(&m->headers[i].value, old, base, len);
    }
}

bool corr__parse_read(const void *in, size_t n, const datagram_t *dg, sip_msg_t *m,
                      proto_status_t *st)
{
    parse_hdr_t h;
    if (n < sizeof h) return false;
    memcpy(&h, in, sizeof h);
    if (h.header_count > SIP_MAX_HEADERS || h.status > PROTO_INVALID ||
        n != sizeof h + FIXED_BYTES + h.header_count * sizeof(sip_header_t))
        return false;
    const uint8_t *p = in;
    memcpy(m, p + sizeof h, FIXED_BYTES);
    memcpy(m->headers, p + sizeof h + FIXED_BYTES, h.header_count * sizeof(sip_header_t));
    m->header_count = (uint16_t)h.header_count;
    rebase_msg(m, h.base, dg->data, dg->len);
    *st = (proto_status_t)h.status;
    return true;
}
