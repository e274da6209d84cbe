/* table_mem.c - memory for large randomly indexed tables.
 *
 * Why: with 10,000 calls the correlator's stream entries alone span ~14 MB.
 * In 4 KiB pages that is ~3,500 pages for a second-level TLB of 2,000 to
 * 3,000 entries, so nearly every RTP packet pays a page walk (two
 * dimensional, and so dearer, in a virtual machine) before its cache
 * misses can even start; the look-ahead's prefetches (corr_prefetch) wait
 * behind it too.  In 2 MiB pages the same entries need 7 TLB entries.
 *
 * Design: plain calloc (large requests come from mmap: zero pages, no RSS
 * until touched) plus madvise(MADV_HUGEPAGE) on the whole 2 MiB blocks
 * inside the allocation.  That asks for huge pages only where the system
 * allows them on request (transparent_hugepage "madvise", Debian's
 * default, or "always"); with "never", or where the call fails, the table
 * simply stays in small pages.  Tables below 4 MiB are left alone: they
 * hold few whole blocks and fit the TLB reach anyway.
 */
#include "core.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define HUGE_BLOCK ((uintptr_t)2 << 20)

void *table_calloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (!p || n == 0 || size > SIZE_MAX / n) return p;
    size_t bytes = n * size;
#ifdef MADV_HUGEPAGE
    if (bytes >= 2 * HUGE_BLOCK) {
        uintptr_t start = ((uintptr_t)p + HUGE_BLOCK - 1) & ~(HUGE_BLOCK - 1);
        uintptr_t end = ((uintptr_t)p + bytes) & ~(HUGE_BLOCK - 1);
        if (end > start) madvise((void *)start, end - start, MADV_HUGEPAGE);
    }
#endif
    return p;
}
