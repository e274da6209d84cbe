/* file_input.c - opening one capture file for the file source
 * (pcap_files.c): a regular file, standard input ("-"), or a gzip-compressed
 * capture, handed to libpcap as a FILE; and, when libpcap refuses it or a
 * record cannot be read, what is wrong, said in siphon's words.
 *
 * Design:
 *  - A regular file that does not start with the gzip magic (1f 8b) is
 *    opened with fopen and a 1 MiB stdio buffer, as before: pcap_files.c
 *    may map it and walk classic pcap records in place.
 *  - Standard input and gzip files are read through zlib (gzdopen/gzopen,
 *    gzread), behind a stdio FILE made with fopencookie, which libpcap
 *    reads like any other: streamed, so a capture of any size, compressed
 *    or piped from tcpdump -w -, costs a fixed 256 KiB of zlib buffer and
 *    never a copy of the whole file in memory.  zlib passes data that is
 *    not gzip through unchanged (its "transparent" mode), so a plain pcap
 *    and a compressed one both work on standard input.  Why not decompress
 *    to memory: the size is unknown up front (a pipe) and a cap would turn
 *    a large capture into an error.  The FILE answers ftell (bytes handed
 *    out so far, which pcapng error offsets use) and no other seek.
 *  - The first 24 bytes of the (decompressed) capture are peeked at open:
 *    they tell pcapng from pcap, and when libpcap refuses the file they
 *    say why in siphon's words: empty, too short, not a capture (with its
 *    first bytes), a damaged or unsupported pcap or pcapng header.
 *    libpcap's own wording ("truncated dump file", "unknown file format",
 *    "savefile") is not shown.
 */
#include "capture_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define PLAIN_IOBUF_BYTES (1u << 20)
#define GZ_BUFFER_BYTES   (256u << 10)

struct cap__gz {
    gzFile gz;
    uint64_t pos; /* bytes handed to stdio */
    uint8_t head[sizeof((cap__input_t *)0)->head];
    size_t head_len, head_off; /* peeked bytes, served first */
    bool failed;               /* corrupt or cut-short compressed data */
};

static ssize_t gz_read(void *cookie, char *buf, size_t size)
{
    struct cap__gz *g = cookie;
    size_t n = 0;
    if (g->head_off < g->head_len) {
        n = g->head_len - g->head_off;
        if (n > size) n = size;
        memcpy(buf, g->head + g->head_off, n);
        g->head_off += n;
        g->pos += n;
        return (ssize_t)n;
    }
    if (size > (1u << 30)) size = 1u << 30;
    int r = gzread(g->gz, buf, (unsigned)size);
    if (r < 0) {
        g->failed = true;
        return -1;
    }
    if (r == 0) {
        int zerr = Z_OK;
        gzerror(g->gz, &zerr);
        if (zerr != Z_OK) { /* Z_BUF_ERROR: the compressed data ends early */
            g->failed = true;
            return -1;
        }
    }
    g->pos += (uint64_t)r;
    return r;
}

static int gz_seek(void *cookie, off64_t *off, int whence)
{
    struct cap__gz *g = cookie;
    if (whence == SEEK_CUR && *off == 0) {
        *off = (off64_t)g->pos;
        return 0;
    }
    errno = ESPIPE;
    return -1;
}

static int gz_close(void *cookie)
{
    struct cap__gz *g = cookie;
    int r = g->gz ? gzclose(g->gz) : Z_OK;
    free(g);
    return r == Z_OK ? 0 : -1;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Opens the zlib reader on fd (owned from here on) and peeks the head. */
static bool open_gz(cap__input_t *in, int fd, char *err, size_t errlen)
{
    struct cap__gz *g = calloc(1, sizeof *g);
    if (!g) {
        close(fd);
        set_err(err, errlen, "out of memory");
        return false;
    }
    g->gz = gzdopen(fd, "rb");
    if (!g->gz) {
        close(fd);
        free(g);
        set_err(err, errlen, "out of memory");
        return false;
    }
    gzbuffer(g->gz, GZ_BUFFER_BYTES);
    int r = gzread(g->gz, g->head, sizeof g->head);
    if (r < 0) {
        gz_close(g);
        set_err(err, errlen, "corrupt compressed data");
        return false;
    }
    g->head_len = (size_t)r;
    in->compressed = !gzdirect(g->gz);
    in->head_len = g->head_len;
    memcpy(in->head, g->head, g->head_len);
    cookie_io_functions_t io = {.read = gz_read, .seek = gz_seek, .close = gz_close};
    in->fp = fopencookie(g, "rb", io);
    if (!in->fp) {
        gz_close(g);
        set_err(err, errlen, "out of memory");
        return false;
    }
    in->gz = g;
    return true;
}

bool cap__input_open(cap__input_t *in, const char *path, char *err, size_t errlen)
{
    memset(in, 0, sizeof *in);
    if (strcmp(path, "-") == 0) {
        int fd = dup(STDIN_FILENO);
        if (fd < 0) {
            set_err(err, errlen, "cannot read standard input: %s", strerror(errno));
            return false;
        }
        return open_gz(in, fd, err, errlen);
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        set_err(err, errlen, "cannot open: %s", strerror(errno));
        return false;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        set_err(err, errlen, "cannot open: %s", strerror(errno));
        close(fd);
        return false;
    }
    if (S_ISDIR(st.st_mode)) {
        set_err(err, errlen, "is a directory, not a capture file");
        close(fd);
        return false;
    }
    if (S_ISREG(st.st_mode)) in->size = (uint64_t)st.st_size;
    uint8_t magic[2] = {0};
    ssize_t got = S_ISREG(st.st_mode) ? pread(fd, magic, 2, 0) : 0;
    if (!S_ISREG(st.st_mode) || (got == 2 && magic[0] == 0x1f && magic[1] == 0x8b))
        return open_gz(in, fd, err, errlen);
    in->fp = fdopen(fd, "rb");
    if (!in->fp) {
        set_err(err, errlen, "cannot open: %s", strerror(errno));
        close(fd);
        return false;
    }
    in->plain = true;
    in->iobuf = malloc(PLAIN_IOBUF_BYTES);
    if (in->iobuf) setvbuf(in->fp, in->iobuf, _IOFBF, PLAIN_IOBUF_BYTES);
    in->head_len = fread(in->head, 1, sizeof in->head, in->fp);
    rewind(in->fp);
    return true;
}

bool cap__input_pcapng(const cap__input_t *in)
{
    return in->head_len >= 4 && in->head[0] == 0x0a && in->head[1] == 0x0d && in->head[2] == 0x0d &&
           in->head[3] == 0x0a;
}

/* The classic pcap magic in either byte order, micro- or nanoseconds. */
static bool pcap_magic(const uint8_t *h, bool *swapped)
{
    uint32_t m = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
    *swapped = m == 0xd4c3b2a1u || m == 0x4d3cb2a1u;
    return m == 0xa1b2c3d4u || m == 0xa1b23c4du || *swapped;
}

void cap__input_refused(const cap__input_t *in, char *err, size_t errlen)
{
    const uint8_t *h = in->head;
    size_t n = in->head_len;
    const char *what = in->compressed ? "decompressed capture" : "file";
    bool swapped;
    if (n == 0) {
        set_err(err, errlen, "empty %s, not a capture",
                in->compressed ? "decompressed data" : what);
    } else if (n >= 4 && pcap_magic(h, &swapped)) {
        if (n < 24) {
            set_err(err, errlen, "pcap file header cut short (%zu of 24 bytes)", n);
        } else {
            unsigned major = swapped ? (unsigned)(h[4] << 8 | h[5]) : (unsigned)(h[5] << 8 | h[4]);
            unsigned minor = swapped ? (unsigned)(h[6] << 8 | h[7]) : (unsigned)(h[7] << 8 | h[6]);
            set_err(err, errlen, "damaged or unsupported pcap file header (format version %u.%u)",
                    major, minor);
        }
    } else if (cap__input_pcapng(in)) {
        set_err(err, errlen, "damaged or unsupported pcapng section header");
    } else if (n < 4) {
        set_err(err, errlen, "too short to be a capture file (%zu bytes)", n);
    } else {
        set_err(err, errlen,
                "not a pcap or pcapng capture (%s starts with %02x %02x %02x %02x; "
                "gzip-compressed captures are read too)",
                what, h[0], h[1], h[2], h[3]);
    }
}

void cap__input_read_failed(const cap__input_t *in, FILE *fp, const char *detail, char *err,
                            size_t errlen)
{
    if (in->gz && in->gz->failed)
        set_err(err, errlen, "compressed data cut short or corrupt");
    else if (fp && feof(fp))
        set_err(err, errlen, "the file ends inside a record");
    else if (fp && ferror(fp))
        set_err(err, errlen, "read error: %s", strerror(errno));
    else
        set_err(err, errlen, "corrupt record (%s)", detail && *detail ? detail : "unreadable");
}

uint64_t cap__input_consumed(const cap__input_t *in, FILE *fp)
{
    if (in->gz) {
        z_off_t o = gzoffset(in->gz->gz); /* compressed bytes read */
        return o > 0 ? (uint64_t)o : 0;
    }
    long pos = fp ? ftell(fp) : -1;
    return pos > 0 ? (uint64_t)pos : 0;
}
