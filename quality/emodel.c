/* emodel.c - the ITU-T G.107 E-model, reduced to the terms a passive probe
 * can measure: R = R0 - Id - Ie,eff.
 *
 * R0 = 93.2: G.107's default parameter set gives Ro - Is = 93.206 (and
 * Id(0) = 0.149, folded in), the usual no-impairment start.  Is and A are
 * constant (default terminals, A = 0).
 *
 * Id: the simplified form Id = 0.024 d + 0.11 (d - 177.3) H(d - 177.3)
 * (Cole & Rosenbluth 2001) for the one-way mouth-to-ear delay d.  Chosen
 * over the full Idte + Idle + Idd because a probe knows only d, not T, Tr,
 * Ta and TELR separately; it tracks the full model (default TELR 65 dB)
 * within ~1 R point up to ~300 ms and overstates delay beyond, which errs
 * on the side of flagging long-delay calls.
 *
 * Ie,eff = Ie + (95 - Ie) Ppl / (Ppl/BurstR + Bpl) (G.107 7.2), Ppl in
 * percent including jitter-buffer discards.
 *
 * Clamps: R is reported on the narrowband scale [0, 100]; MOS follows
 * Annex B (R < 0 -> 1, R > 100 -> 4.5), and MOS is floored at 1: Annex B's
 * cubic dips just below 1 for 0 < R < 6.5 (found by fuzz_codec_table with
 * G.726's Bpl 4.3 at 7.5 % loss), so MOS is always in [1, 4.5].
 */
#include "quality.h"

double emodel_id(double delay_ms)
{
    if (!(delay_ms > 0)) return 0;
    double id = 0.024 * delay_ms;
    if (delay_ms > 177.3) id += 0.11 * (delay_ms - 177.3);
    return id;
}

double emodel_ie_eff(double ie, double bpl, double ppl, double burst_r)
{
    if (!(ppl > 0)) ppl = 0;
    if (ppl > 100) ppl = 100;
    if (!(burst_r > 0)) burst_r = 1;
    if (!(bpl > 0)) bpl = 1e-9;
    return ie + (95.0 - ie) * ppl / (ppl / burst_r + bpl);
}

double emodel_r(double delay_ms, double ie, double bpl, double ppl, double burst_r)
{
    double r = EMODEL_R0 - emodel_id(delay_ms) - emodel_ie_eff(ie, bpl, ppl, burst_r);
    if (!(r > 0)) return 0;
    return r > 100 ? 100 : r;
}

double emodel_mos(double r)
{
    if (!(r > 0)) return 1.0;
    if (r > 100) return 4.5;
    double mos = 1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6;
    return mos < 1.0 ? 1.0 : mos; /* the cubic dips to 0.99 for 0 < R < 6.5 */
}
