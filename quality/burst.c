/* burst.c - loss structure of a stream: RFC 3611 burst/gap metrics, the
 * histogram of consecutive-loss runs and the E-model's BurstR.
 *
 * Input is one event per sequence number, in sequence order: received
 * (played) or lost/discarded (RFC 3611 treats both alike).
 *
 * Burst/gap (RFC 3611 4.7.2 and Appendix A.2, Gmin = 16): a burst is the
 * longest run that starts and ends with a lost or discarded packet and has
 * no run of Gmin or more received packets; the rest is gap.  The per-packet
 * state machine and the report-time formulas are Appendix A.2's, verbatim:
 *   received: pkt++
 *   lost:     if pkt >= Gmin { lost == 1 ? c14++ : c13++; lost = 1;
 *                              c11 += pkt }
 *             else { lost++; pkt == 0 ? c33++ : (c23++, c22 += pkt - 1) }
 *             pkt = 0
 * Like the RFC's code, a loss that ends a gap classifies the burst before
 * it (isolated loss -> c14, burst -> c13), and the first loss of a stream
 * closes an empty "burst" (lost starts at 0).
 *
 * BurstR (G.107): the two-state Markov (Gilbert) estimate 1/(p + q), with
 * p = P(loss | previous received) and q = P(received | previous lost)
 * counted over the same events.  It is G.107's own definition (7.2, note),
 * needs no model of burst boundaries, and equals 1 in expectation for
 * independent loss; it is floored at 1 because the sampling noise of a few
 * losses would otherwise score random loss as "smoother than random".
 */
#include "quality.h"

#include <string.h>

void burst_init(burst_t *b, uint32_t gmin)
{
    memset(b, 0, sizeof *b);
    b->gmin = (uint16_t)(gmin && gmin <= UINT16_MAX ? gmin : BURST_GMIN);
}

static void run_end(burst_t *b)
{
    uint32_t n = b->cur_run;
    if (n == 0) return;
    int bin = n == 1   ? LOSS_RUN_1
              : n == 2 ? LOSS_RUN_2
              : n == 3 ? LOSS_RUN_3
              : n == 4 ? LOSS_RUN_4
              : n < 10 ? LOSS_RUN_5_9
                       : LOSS_RUN_10P;
    b->runs[bin]++;
    b->cur_run = 0;
}

void burst_received(burst_t *b)
{
    b->pkt++;
    b->n_recv++;
    if (b->have_prev && b->prev_loss) b->n_loss_recv++;
    b->prev_loss = false;
    b->have_prev = true;
    run_end(b);
}

void burst_lost(burst_t *b)
{
    if (b->pkt >= b->gmin) {
        if (b->lost == 1)
            b->c14++;
        else
            b->c13++;
        b->lost = 1;
        b->c11 += b->pkt;
    } else {
        b->lost++;
        if (b->pkt == 0) {
            b->c33++;
        } else {
            b->c23++;
            b->c22 += b->pkt - 1;
        }
    }
    b->pkt = 0;

    b->n_loss++;
    if (b->have_prev && !b->prev_loss) b->n_recv_loss++;
    b->prev_loss = true;
    b->have_prev = true;
    b->cur_run++;
}

double burst_r(const burst_t *b)
{
    /* transitions out of each state; the last event has none */
    uint32_t from_recv = b->n_recv - (b->have_prev && !b->prev_loss ? 1 : 0);
    uint32_t from_loss = b->n_loss - (b->have_prev && b->prev_loss ? 1 : 0);
    if (from_recv == 0 || from_loss == 0) return 1.0;
    double p = (double)b->n_recv_loss / (double)from_recv;
    double q = (double)b->n_loss_recv / (double)from_loss;
    if (!(p + q > 0)) return 1.0;
    double r = 1.0 / (p + q);
    return r < 1.0 ? 1.0 : r;
}

void burst_metrics(const burst_t *b, double ms_per_pkt, burst_metrics_t *out)
{
    memset(out, 0, sizeof *out);
    double c11 = (double)b->c11, c13 = (double)b->c13, c14 = (double)b->c14;
    double c22 = (double)b->c22, c23 = (double)b->c23, c33 = (double)b->c33;
    double c31 = c13, c32 = c23;
    double ctotal = c11 + c14 + c13 + c22 + c23 + c31 + c32 + c33;

    double from3 = c31 + c32 + c33;
    double p32 = from3 > 0 ? c32 / from3 : 0;
    double p23 = (c22 + c23 < 1) ? 1 : 1 - c22 / (c22 + c23);
    if (from3 > 0 && p23 + p32 > 0) out->burst_density = 100.0 * p23 / (p23 + p32);
    if (c11 + c14 > 0) out->gap_density = 100.0 * c14 / (c11 + c14);
    if (c13 > 0 && ms_per_pkt > 0) {
        out->gap_duration_ms = (c11 + c14 + c13) * ms_per_pkt / c13;
        out->burst_duration_ms = ctotal * ms_per_pkt / c13 - out->gap_duration_ms;
        if (out->burst_duration_ms < 0) out->burst_duration_ms = 0;
    }

    /* the run still open counts as ended */
    burst_t tmp = *b;
    run_end(&tmp);
    uint32_t run_count = 0; /* every loss is in an ended run now */
    for (int i = 0; i < LOSS_RUN_BINS; i++) {
        out->runs[i] = tmp.runs[i];
        run_count += tmp.runs[i];
    }
    out->burst_mean_len = run_count ? (double)tmp.n_loss / (double)run_count : 0;
    out->burst_r = burst_r(b);
}
