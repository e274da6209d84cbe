/* clock.c - timestamps: RFC 3339 formatting of packet time, a monotonic
 * clock for measuring our own work and the wall clock. */
#include "core.h"

#include <stdio.h>
#include <time.h>

size_t ts_format_rfc3339(int64_t ts_ns, char *buf, size_t n)
{
    int64_t sec = ts_ns / NS_PER_SEC;
    int64_t usec = (ts_ns % NS_PER_SEC) / NS_PER_USEC;
    if (usec < 0) sec--, usec += 1000000;
    time_t t = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        if (n) buf[0] = '\0';
        return 0;
    }
    int k = snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)usec);
    return k < 0 ? 0 : ((size_t)k < n ? (size_t)k : n - 1);
}

int64_t clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

int64_t clock_real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}
