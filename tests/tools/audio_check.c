/* audio_check.c - measures a rendered audio file for the audio tests.
 *
 * usage: audio_check FILE < queries
 * Prints "info RATE CHANNELS FRAMES", then one line per query (times in
 * seconds from the file's start, channel 0 = left):
 *   dom CH S E            dominant frequency in [S, E): the peak of a
 *                         Hann-windowed radix-2 FFT, parabolically
 *                         interpolated (Hz)
 *   corr CH S E F MAXLAG  the best normalised cross-correlation of [S, E)
 *                         with a sine of F Hz over lags of +-MAXLAG ms
 *                         (1.0: the tone itself), and that lag (ms)
 *   peak CH S E           the largest absolute sample in [S, E)
 *   first CH / last CH    time of the first / last non-zero sample (-1: none)
 * Plain C with libsndfile: the tests need no numpy (python3-numpy is not in
 * the test image's package list).
 */
#include <complex.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float *pcm;
static long frames;
static int channels, rate;

static double at(int ch, long i)
{
    return i >= 0 && i < frames ? pcm[i * channels + ch] : 0.0;
}

static long idx(double s)
{
    long i = lround(s * rate);
    return i < 0 ? 0 : i > frames ? frames : i;
}

static void fft(double complex *x, long n)
{
    for (long i = 1, j = 0; i < n; i++) {
        long bit = n >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j ^= bit;
        if (i < j) {
            double complex t = x[i];
            x[i] = x[j];
            x[j] = t;
        }
    }
    for (long len = 2; len <= n; len <<= 1) {
        double complex w = cexp(-2.0 * I * M_PI / (double)len);
        for (long i = 0; i < n; i += len) {
            double complex u = 1.0;
            for (long k = 0; k < len / 2; k++) {
                double complex a = x[i + k], b = x[i + k + len / 2] * u;
                x[i + k] = a + b;
                x[i + k + len / 2] = a - b;
                u *= w;
            }
        }
    }
}

static double dominant(int ch, long a, long b)
{
    long n = 1;
    while (n * 2 <= b - a && n < (1 << 18))
        n *= 2;
    if (n < 256) return -1;
    double complex *x = malloc((size_t)n * sizeof *x);
    for (long i = 0; i < n; i++)
        x[i] = at(ch, a + i) * (0.5 - 0.5 * cos(2 * M_PI * (double)i / (double)(n - 1)));
    fft(x, n);
    long best = 1;
    for (long k = 1; k < n / 2; k++)
        if (cabs(x[k]) > cabs(x[best])) best = k;
    double y0 = cabs(x[best - 1]), y1 = cabs(x[best]), y2 = cabs(x[best + 1]);
    double d = (y0 - 2 * y1 + y2) != 0 ? 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2) : 0;
    free(x);
    return ((double)best + d) * rate / (double)n;
}

static void corr(int ch, long a, long b, double f, double maxlag_ms, double *best, double *lag)
{
    long ml = lround(maxlag_ms * rate / 1000.0);
    *best = -2;
    *lag = 0;
    double ex = 0;
    for (long i = a; i < b; i++)
        ex += at(ch, i) * at(ch, i);
    for (long l = -ml; l <= ml; l++) {
        double sxy = 0, eyy = 0;
        for (long i = a; i < b; i++) {
            double y = sin(2 * M_PI * f * (double)(i + l) / rate);
            sxy += at(ch, i) * y;
            eyy += y * y;
        }
        double c = ex > 0 && eyy > 0 ? sxy / sqrt(ex * eyy) : 0;
        if (c > *best) {
            *best = c;
            *lag = (double)l * 1000.0 / rate;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: audio_check FILE < queries\n");
        return 2;
    }
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *f = sf_open(argv[1], SFM_READ, &info);
    if (!f) {
        fprintf(stderr, "audio_check: %s: %s\n", argv[1], sf_strerror(NULL));
        return 1;
    }
    frames = (long)info.frames;
    channels = info.channels;
    rate = info.samplerate;
    pcm = malloc((size_t)(frames + 1) * (size_t)channels * sizeof *pcm);
    frames = (long)sf_readf_float(f, pcm, frames);
    sf_close(f);
    printf("info %d %d %ld\n", rate, channels, frames);
    char line[256];
    while (fgets(line, sizeof line, stdin)) {
        char q[16];
        int ch;
        double s, e, fr, ml;
        if (sscanf(line, "%15s %d", q, &ch) != 2 || ch < 0 || ch >= channels) {
            printf("error\n");
            continue;
        }
        if (strcmp(q, "dom") == 0 && sscanf(line, "%*s %*d %lf %lf", &s, &e) == 2) {
            printf("%.2f\n", dominant(ch, idx(s), idx(e)));
        } else if (strcmp(q, "corr") == 0 &&
                   sscanf(line, "%*s %*d %lf %lf %lf %lf", &s, &e, &fr, &ml) == 4) {
            double c, l;
            corr(ch, idx(s), idx(e), fr, ml, &c, &l);
            printf("%.4f %.3f\n", c, l);
        } else if (strcmp(q, "peak") == 0 && sscanf(line, "%*s %*d %lf %lf", &s, &e) == 2) {
            double p = 0;
            for (long i = idx(s); i < idx(e); i++)
                if (fabs(at(ch, i)) > p) p = fabs(at(ch, i));
            printf("%.6f\n", p);
        } else if (strcmp(q, "first") == 0 || strcmp(q, "last") == 0) {
            long hit = -1;
            for (long i = 0; i < frames; i++)
                if (at(ch, i) != 0) {
                    hit = i;
                    if (q[0] == 'f') break;
                }
            printf("%.6f\n", hit < 0 ? -1.0 : (double)hit / rate);
        } else {
            printf("error\n");
        }
        fflush(stdout);
    }
    free(pcm);
    return 0;
}
