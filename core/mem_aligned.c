/* mem_aligned.c - zeroed arrays of over-aligned types.
 *
 * Why: malloc/calloc only guarantee alignof(max_align_t) (16 bytes on
 * x86-64 glibc).  A type with an alignas(64) member (spsc_t keeps its
 * producer and consumer indexes on separate cache lines) placed in such
 * memory is undefined behaviour, and the compiler may rely on the declared
 * alignment.  Arrays of such types (or of structs that embed them) come
 * from here instead, allocated with the alignment the type declares.
 *
 * Design: aligned_alloc with the byte count rounded up to a multiple of the
 * alignment (C11 requires it), then zeroed like calloc.  The count
 * multiplication and the rounding are checked for overflow.  Free with
 * free().
 */
#include "core.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void *core_calloc_aligned(size_t n, size_t size, size_t align)
{
    if (align < alignof(max_align_t)) align = alignof(max_align_t);
    if (align & (align - 1)) return NULL; /* not a power of two */
    if (size && n > SIZE_MAX / size) return NULL;
    size_t bytes = n * size;
    if (bytes == 0) bytes = align;
    if (bytes > SIZE_MAX - (align - 1)) return NULL;
    bytes = (bytes + align - 1) & ~(align - 1);
    void *p = aligned_alloc(align, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}
