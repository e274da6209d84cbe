/* ladder.c - one call's SIP messages as a text ladder diagram, the call
 * flow sngrep draws, for `siphon show`.
 *
 *          10.0.0.1:5060       10.0.0.2:5060
 *    #      TIME s    DELTA         |                   |
 *    1       0.000    0.000         |--INVITE (SDP)---->|
 *    2       0.010    0.010         |<----100 Trying----|
 *    3       0.510    0.500         |--INVITE (SDP)---->|  retransmission
 *
 * Every host (ip:port) is a lane, in the order it first appears; every
 * message one row with its number, its offset from the first message and
 * the time since the previous one, and an arrow from its source lane to its
 * destination lane labelled with the method, or the status and reason,
 * and "(SDP)" when it carries a session description.  A message that
 * repeats an earlier one (same hosts, method or status, CSeq, and the same
 * bytes when they are known) is marked: retransmissions are what an
 * operator looks for first in a failing call.
 *
 * It is a pure function over an array of messages (the caller reads them
 * from the database in capture order), so it is tested without one.  The
 * labels and, with raw, the messages come from the network: they go through
 * text_inert/text_cell, so no byte of them acts on a terminal.
 */
#include "proto.h"
#include "storage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LADDER__GAP_MIN   16 /* columns between two lanes, at least */
#define LADDER__LABEL_MAX 40 /* a label's columns, at most */
#define LADDER__HOST_W    (IP_STR_MAX + 8)

typedef struct {
    char name[LADDER__HOST_W]; /* "ip:port", "[v6]:port" */
    endpoint_t ep;
} ladder__host_t;

static void ladder__endpoint_text(const endpoint_t *e, char *buf, size_t n)
{
    char ip[IP_STR_MAX];
    ip_addr_format(&e->ip, ip, sizeof ip);
    if (e->ip.family == IP_V6)
        snprintf(buf, n, "[%s]:%u", ip, e->port);
    else
        snprintf(buf, n, "%s:%u", ip[0] ? ip : "?", e->port);
}

/* The lane of e, added when new; hosts has room for 2n entries. */
static size_t ladder__lane(ladder__host_t *hosts, size_t *nh, const endpoint_t *e)
{
    for (size_t i = 0; i < *nh; i++)
        if (endpoint_eq(&hosts[i].ep, e)) return i;
    hosts[*nh].ep = *e;
    ladder__endpoint_text(e, hosts[*nh].name, sizeof hosts[*nh].name);
    return (*nh)++;
}

static bool ladder__str_eq(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

bool st_ladder_is_retransmission(const st_ladder_msg_t *msgs, size_t i)
{
    const st_ladder_msg_t *m = &msgs[i];
    for (size_t k = 0; k < i; k++) {
        const st_ladder_msg_t *o = &msgs[k];
        if (o->is_request != m->is_request || o->cseq != m->cseq ||
            !endpoint_eq(&o->src, &m->src) || !endpoint_eq(&o->dst, &m->dst) ||
            !ladder__str_eq(o->cseq_method, m->cseq_method))
            continue;
        if (m->is_request ? !ladder__str_eq(o->method, m->method)
                          : o->status_code != m->status_code)
            continue;
        if (o->data && m->data && (o->len != m->len || memcmp(o->data, m->data, m->len) != 0))
            continue;
        return true;
    }
    return false;
}

/* Whether the message's bytes carry an SDP (whole body or multipart part). */
static bool ladder__has_sdp(const st_ladder_msg_t *m, sip_msg_t *scratch)
{
    if (!m->data || !m->len) return false;
    if (sip_parse_message(m->data, m->len, scratch) == PROTO_INVALID) return false;
    sv_t sdp;
    return sip_find_sdp(scratch, &sdp);
}

/* The label as wire text (made inert when written): "INVITE (SDP)",
 * "200 OK". */
static void ladder__label(buf_t *out, const st_ladder_msg_t *m, bool sdp)
{
    if (m->is_request) {
        const char *meth = m->method && m->method[0] ? m->method : "?";
        buf_append(out, meth, strlen(meth));
    } else {
        buf_printf(out, "%d", m->status_code);
        if (m->reason && m->reason[0]) {
            buf_putc(out, ' ');
            buf_append(out, m->reason, strlen(m->reason));
        }
    }
    if (sdp) buf_printf(out, " (SDP)");
    buf_putc(out, '\0');
}

static size_t ladder__cols(const char *s)
{
    buf_t tmp;
    buf_init(&tmp);
    size_t c = text_inert_cstr(&tmp, s);
    buf_free(&tmp);
    return c;
}

static void ladder__spaces(buf_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf_putc(out, ' ');
}

static void ladder__dashes(buf_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf_putc(out, '-');
}

/* Lanes from column *col up to (not including) column to. */
static void ladder__lanes(buf_t *out, size_t *col, size_t to, const size_t *pos, size_t nh)
{
    size_t k = 0;
    while (*col < to) {
        while (k < nh && pos[k] < *col)
            k++;
        buf_putc(out, k < nh && pos[k] == *col ? '|' : ' ');
        (*col)++;
    }
}

static void ladder__end_row(buf_t *out)
{
    while (out->len && out->data[out->len - 1] == ' ')
        out->len--;
    buf_putc(out, '\n');
}

/* One header row: the names of the lanes whose index has parity `row`
 * (every lane when not staggered), centred on their lane, cut to room. */
static void ladder__host_row(buf_t *out, const ladder__host_t *hosts, const size_t *pos, size_t nh,
                             size_t gap, bool staggered, int row)
{
    size_t col = 0;
    size_t room = staggered ? 2 * gap - 2 : gap - 1;
    for (size_t i = 0; i < nh; i++) {
        if (staggered && (int)(i % 2) != row) continue;
        size_t len = strlen(hosts[i].name), w = len < room ? len : room;
        size_t start = pos[i] >= w / 2 ? pos[i] - w / 2 : 0;
        if (start < col) start = col;
        ladder__spaces(out, start - col);
        text_cell(out, hosts[i].name, w, true);
        col = start + w;
    }
    ladder__end_row(out);
}

static void ladder__raw(buf_t *out, const st_ladder_msg_t *msgs, size_t n,
                        const ladder__host_t *hosts, const size_t *src_lane, const size_t *dst_lane)
{
    for (size_t i = 0; i < n; i++) {
        const st_ladder_msg_t *m = &msgs[i];
        char ts[40] = "-";
        if (m->ts_ns > 0) ts_format_rfc3339(m->ts_ns, ts, sizeof ts);
        buf_printf(out, "\n--- %zu  %s  %s -> %s  %zu bytes\n", i + 1, ts, hosts[src_lane[i]].name,
                   hosts[dst_lane[i]].name, m->len);
        if (!m->data) {
            buf_printf(out, "(message bytes not stored)\n");
            continue;
        }
        size_t at = 0;
        while (at < m->len) {
            const uint8_t *nl = memchr(m->data + at, '\n', m->len - at);
            size_t end = nl ? (size_t)(nl - m->data) : m->len, stop = end;
            if (stop > at && m->data[stop - 1] == '\r') stop--;
            text_inert(out, m->data + at, stop - at);
            buf_putc(out, '\n');
            at = end + 1;
        }
    }
}

void st_ladder_render(buf_t *out, const st_ladder_msg_t *msgs, size_t n,
                      const st_ladder_opts_t *opts)
{
    if (n == 0) {
        buf_printf(out, "no SIP messages stored for this call\n");
        return;
    }
    unsigned width = opts && opts->width ? opts->width : 120;
    ladder__host_t *hosts = calloc(2 * n, sizeof *hosts);
    size_t *src_lane = calloc(n, sizeof *src_lane), *dst_lane = calloc(n, sizeof *dst_lane);
    bool *sdp = calloc(n, sizeof *sdp), *retrans = calloc(n, sizeof *retrans);
    char **labels = calloc(n, sizeof *labels);
    size_t *pos = calloc(2 * n, sizeof *pos);
    sip_msg_t *scratch = malloc(sizeof *scratch);
    if (!hosts || !src_lane || !dst_lane || !sdp || !retrans || !labels || !pos || !scratch) {
        buf_printf(out, "out of memory drawing the ladder\n");
        goto done;
    }

    size_t nh = 0, max_label = 0, max_host = 0;
    buf_t lab;
    buf_init(&lab);
    for (size_t i = 0; i < n; i++) {
        src_lane[i] = ladder__lane(hosts, &nh, &msgs[i].src);
        dst_lane[i] = ladder__lane(hosts, &nh, &msgs[i].dst);
        sdp[i] = ladder__has_sdp(&msgs[i], scratch);
        retrans[i] = st_ladder_is_retransmission(msgs, i);
        buf_reset(&lab);
        ladder__label(&lab, &msgs[i], sdp[i]);
        labels[i] = strdup(lab.data);
        if (!labels[i]) {
            buf_free(&lab);
            buf_printf(out, "out of memory drawing the ladder\n");
            goto done;
        }
        size_t c = ladder__cols(labels[i]);
        if (c > max_label) max_label = c;
    }
    buf_free(&lab);
    for (size_t i = 0; i < nh; i++) {
        size_t l = strlen(hosts[i].name);
        if (l > max_host) max_host = l;
    }

    /* The left columns: "#", offset and delta in seconds. */
    int nw = snprintf(NULL, 0, "%zu", n);
    if (nw < 1) nw = 1;
    size_t left = (size_t)nw + 1 + 11 + 1 + 9 + 2;
    /* Lanes as far apart as the widest label asks, narrowed to the width. */
    if (max_label > LADDER__LABEL_MAX) max_label = LADDER__LABEL_MAX;
    size_t gap = max_label + 8 < LADDER__GAP_MIN ? LADDER__GAP_MIN : max_label + 8;
    if (nh > 1) {
        size_t avail = width > left + 18 ? width - left - 18 : 0;
        size_t fit = avail / (nh - 1);
        if (fit < gap) gap = fit < LADDER__GAP_MIN ? LADDER__GAP_MIN : fit;
    }
    /* Names never cut: a name wider than a lane's room staggers the names
     * over two rows, and lanes move apart until the widest fits there. */
    if (gap < (max_host + 3) / 2) gap = (max_host + 3) / 2;
    bool staggered = max_host + 1 > gap;
    size_t room = staggered ? 2 * gap - 2 : gap - 1, len0 = strlen(hosts[0].name);
    size_t first_half = (len0 < room ? len0 : room) / 2 + 1;
    for (size_t i = 0; i < nh; i++)
        pos[i] = left + first_half + i * gap;

    char t0[40] = "-";
    if (msgs[0].ts_ns > 0) ts_format_rfc3339(msgs[0].ts_ns, t0, sizeof t0);
    buf_printf(out, "call flow: %zu message%s, %zu host%s, from %s\n\n", n, n == 1 ? "" : "s", nh,
               nh == 1 ? "" : "s", t0);
    ladder__host_row(out, hosts, pos, nh, gap, staggered, 0);
    if (staggered) ladder__host_row(out, hosts, pos, nh, gap, staggered, 1);
    size_t at = out->len;
    buf_printf(out, "%*s %11s %9s  ", nw, "#", "TIME s", "DELTA");
    size_t col = out->len - at;
    ladder__lanes(out, &col, pos[nh - 1] + 1, pos, nh);
    ladder__end_row(out);

    for (size_t i = 0; i < n; i++) {
        const st_ladder_msg_t *m = &msgs[i];
        double off = (double)ts_sub_sat(m->ts_ns, msgs[0].ts_ns) / 1e9;
        double delta = i ? (double)ts_sub_sat(m->ts_ns, msgs[i - 1].ts_ns) / 1e9 : 0.0;
        at = out->len;
        buf_printf(out, "%*zu %11.3f %9.3f  ", nw, i + 1, off, delta);
        col = out->len - at;
        size_t a = src_lane[i], b = dst_lane[i];
        if (a == b) { /* to itself: a mark on its lane, the label after */
            ladder__lanes(out, &col, pos[a], pos, nh);
            buf_putc(out, 'o');
            col++;
            ladder__lanes(out, &col, pos[nh - 1] + 1, pos, nh);
            buf_printf(out, "  ");
            size_t w = ladder__cols(labels[i]);
            text_cell(out, labels[i], w < LADDER__LABEL_MAX ? w : LADDER__LABEL_MAX, true);
            buf_printf(out, " (to itself)");
        } else {
            size_t lo = a < b ? a : b, hi = a < b ? b : a;
            size_t body = pos[hi] - pos[lo] - 1; /* >= gap - 1 >= 15 */
            size_t w = ladder__cols(labels[i]);
            if (w > body - 3) w = body - 3;
            size_t d1 = (body - 1 - w) / 2, d2 = body - 1 - w - d1;
            ladder__lanes(out, &col, pos[lo], pos, nh);
            buf_putc(out, '|');
            if (a < b) {
                ladder__dashes(out, d1);
                text_cell(out, labels[i], w, true);
                ladder__dashes(out, d2);
                buf_putc(out, '>');
            } else {
                buf_putc(out, '<');
                ladder__dashes(out, d2);
                text_cell(out, labels[i], w, true);
                ladder__dashes(out, d1);
            }
            buf_putc(out, '|');
            col = pos[hi] + 1;
            ladder__lanes(out, &col, pos[nh - 1] + 1, pos, nh);
        }
        if (retrans[i]) buf_printf(out, "  retransmission");
        ladder__end_row(out);
    }
    if (opts && opts->raw) ladder__raw(out, msgs, n, hosts, src_lane, dst_lane);

done:
    if (labels)
        for (size_t i = 0; i < n; i++)
            free(labels[i]);
    free(labels);
    free(hosts);
    free(src_lane);
    free(dst_lane);
    free(sdp);
    free(retrans);
    free(pos);
    free(scratch);
}
