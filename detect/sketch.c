/* sketch.c - the small counting structures every detector uses, fixed in
 * size so an entry costs the same whatever the traffic:
 *
 *  - det__win_t, Kamailio pike's two sampling windows: hits in the previous
 *    and the current window of length w; a source is over x when prev >= x,
 *    cur >= x or (prev + cur) / 2 >= x, so a burst trips at once and a
 *    steady rate trips within two windows;
 *  - det__wset_t, distinct items in the previous and current window by
 *    linear counting (Whang et al. 1990) over 256 bits each: the union of
 *    the two bitmaps is estimated as -m ln(zeros/m), within a few percent up
 *    to a few hundred items, where every threshold here lies;
 *  - CIDR matching for the trusted list.
 */
#include "det_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void win_roll(det__win_t *win, int64_t ts, int64_t w)
{
    if (w <= 0) w = 1;
    int64_t slot = ts - ts % w;
    if (win->start == 0 && win->prev == 0 && win->cur == 0) {
        win->start = slot;
        return;
    }
    if (slot == win->start || ts < win->start) return; /* late packets count now */
    if (slot == win->start + w)
        win->prev = win->cur;
    else
        win->prev = 0;
    win->cur = 0;
    win->start = slot;
}

uint32_t det__win_value(const det__win_t *win)
{
    uint32_t m = win->prev > win->cur ? win->prev : win->cur;
    uint32_t mean = (uint32_t)(((uint64_t)win->prev + win->cur) / 2);
    return m > mean ? m : mean;
}

uint32_t det__win_hit(det__win_t *win, int64_t ts, int64_t w, uint32_t n)
{
    win_roll(win, ts, w);
    win->cur = win->cur > UINT32_MAX - n ? UINT32_MAX : win->cur + n;
    return det__win_value(win);
}

uint32_t det__lc_estimate(const uint64_t *bits, uint32_t words)
{
    uint32_t m = words * 64, ones = 0;
    for (uint32_t i = 0; i < words; i++)
        ones += (uint32_t)__builtin_popcountll(bits[i]);
    if (ones == 0) return 0;
    if (ones >= m) ones = m - 1; /* saturated: the largest figure it can tell */
    double est = -(double)m * log((double)(m - ones) / (double)m);
    return (uint32_t)(est + 0.5);
}

uint32_t det__wset_count(const det__wset_t *s)
{
    uint64_t u[DET__SET_WORDS];
    for (int i = 0; i < DET__SET_WORDS; i++)
        u[i] = s->prev[i] | s->cur[i];
    return det__lc_estimate(u, DET__SET_WORDS);
}

uint32_t det__wset_add(det__wset_t *s, int64_t ts, int64_t w, uint64_t h)
{
    if (w <= 0) w = 1;
    int64_t slot = ts - ts % w;
    if (s->start == 0) {
        s->start = slot;
    } else if (slot != s->start && ts > s->start) {
        if (slot == s->start + w)
            memcpy(s->prev, s->cur, sizeof s->prev);
        else
            memset(s->prev, 0, sizeof s->prev);
        memset(s->cur, 0, sizeof s->cur);
        s->start = slot;
    }
    h = hash_u64(h);
    uint32_t bit = (uint32_t)(h % (DET__SET_WORDS * 64));
    s->cur[bit / 64] |= 1ull << (bit % 64);
    return det__wset_count(s);
}

bool det__cidr_parse(const char *text, det__cidr_t *out)
{
    char buf[IP_STR_MAX + 8];
    size_t n = strlen(text);
    if (n == 0 || n >= sizeof buf) return false;
    memcpy(buf, text, n + 1);
    char *slash = strchr(buf, '/');
    long bits = -1;
    if (slash) {
        *slash = '\0';
        char *end;
        bits = strtol(slash + 1, &end, 10);
        if (*end || end == slash + 1) return false;
    }
    if (!ip_addr_parse(sv_from_cstr(buf), &out->net)) return false;
    int maxbits = out->net.family == IP_V4 ? 32 : 128;
    if (bits < 0) bits = maxbits;
    if (bits > maxbits) return false;
    out->bits = (uint8_t)bits;
    for (int i = 0; i < 16; i++) { /* keep the network part only */
        int keep = (int)bits - i * 8;
        uint8_t mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
        out->net.bytes[i] &= mask;
    }
    return true;
}

bool det__cidr_match(const det__cidr_t *c, const ip_addr_t *a)
{
    if (a->family != c->net.family) return false;
    for (int i = 0; i < 16; i++) {
        int keep = (int)c->bits - i * 8;
        if (keep <= 0) break;
        uint8_t mask = keep >= 8 ? 0xff : (uint8_t)(0xff << (8 - keep));
        if ((a->bytes[i] & mask) != c->net.bytes[i]) return false;
    }
    return true;
}
