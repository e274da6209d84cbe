/* test_capture_ring.c - live capture (capture/ring_afpacket.c, pcap_live.c,
 * privdrop.c) on a veth pair the test makes for itself.
 *
 * Setup (group setup, as root): a network namespace "siphon-t<pid>" and a
 * veth pair, one end ("spt<pid>h") left here for the rings, the other
 * ("spt<pid>n") moved into the namespace.  IPv6 is disabled on both ends
 * before they come up, so no router or neighbour solicitation ever crosses
 * the pair: the only frames are the ones the test sends.  Captures come
 * from siphon-gen (SIPHON_GEN_PATH) and are replayed inside the namespace
 * by `tcpreplay --pps`, bounded by `timeout`.  Teardown deletes the
 * namespace (which destroys the pair) and the files; an atexit handler does
 * the same if the process ends another way.
 *
 * Every case compares what came through the ring with the same file read
 * offline: frame count, an order-independent sum of 64-bit hashes of every
 * frame's bytes (so each frame arrived intact and exactly once), the
 * decoder's SIP message count and the number of distinct Call-IDs (every
 * call's signalling is there); and the kernel must report no drop.
 * Without root, a netns, tcpreplay or the generator the cases fail (the
 * test command runs as root and installs them): no silent skips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "capture.h"
#include "capture_test_util.h"
#include "proto.h"

extern char **environ;

#define REPLAY_PPS  20000
#define MAX_CALLIDS 4096

static struct {
    bool ready;
    char skip_why[256];
    char ns[32], veth_host[16], veth_ns[16];
    char dir[64];
    char pcap[128], pcap_vlan[128], pcap_qinq[128];
    uint16_t fanout_group;
} env;

static void env_cleanup(void)
{
    if (env.ns[0]) {
        test_sh("ip netns del %s 2>/dev/null", env.ns);
        test_sh("ip link del %s 2>/dev/null", env.veth_host);
        env.ns[0] = '\0';
    }
    if (env.dir[0]) {
        test_sh("rm -rf %s", env.dir);
        env.dir[0] = '\0';
    }
}

static void on_signal(int sig)
{
    env_cleanup();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* ------------------------------------------------------------------------ */
/* What a run saw                                                            */
/* ------------------------------------------------------------------------ */

typedef struct {
    uint64_t frames, hash_sum, max_caplen;
    uint64_t datagrams, sip, non_sip_port;
    int ncallids;
    char *callids[MAX_CALLIDS];
} seen_t;

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static void seen_free(seen_t *s)
{
    for (int i = 0; i < s->ncallids; i++)
        free(s->callids[i]);
    s->ncallids = 0;
}

static void seen_cb(void *user, const datagram_t *dg)
{
    seen_t *s = user;
    s->datagrams++;
    if (!sip_probe(dg->data, dg->len)) return;
    s->sip++;
    if (dg->src.port != 5060 && dg->dst.port != 5060) s->non_sip_port++;
    sip_msg_t *m = malloc(sizeof *m);
    if (m && sip_parse_message(dg->data, dg->len, m) == PROTO_OK) {
        sv_t cid = sip_header_get(m, "Call-ID", 0);
        bool known = false;
        for (int i = 0; i < s->ncallids && !known; i++)
            known = strlen(s->callids[i]) == cid.len && memcmp(s->callids[i], cid.p, cid.len) == 0;
        if (!known && s->ncallids < MAX_CALLIDS) {
            /* not strndup: the view is not NUL-terminated, and ASan's
             * strict_string_checks reads a strndup source up to its NUL */
            char *copy = malloc(cid.len + 1);
            if (copy) {
                memcpy(copy, cid.p, cid.len);
                copy[cid.len] = '\0';
                s->callids[s->ncallids++] = copy;
            }
        }
    }
    free(m);
}

static void seen_frame(seen_t *s, cap_decoder_t *d, const cap_frame_t *f)
{
    s->frames++;
    s->hash_sum += fnv1a(f->data, f->caplen);
    if (f->caplen > s->max_caplen) s->max_caplen = f->caplen;
    cap_decode_frame(d, f);
}

/* The file read offline, keeping only frames matching bpf (NULL: all). */
static void scan_file(const char *path, const char *bpf, seen_t *s)
{
    memset(s, 0, sizeof *s);
    char err[512];
    const char *paths[1] = {path};
    cap_files_t *f = cap_files_open(paths, 1, err, sizeof err);
    if (!f) fail_msg("%s", err);
    struct bpf_program prog;
    pcap_t *dead = NULL;
    if (bpf) {
        dead = pcap_open_dead(DLT_EN10MB, 65535);
        assert_int_equal(pcap_compile(dead, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN), 0);
    }
    cap_decoder_t *d = cap_decoder_new(NULL, seen_cb, s);
    cap_frame_t fr;
    int rc;
    while ((rc = cap_files_next(f, &fr, err, sizeof err)) != 0) {
        assert_int_equal(rc, 1);
        if (bpf) {
            struct pcap_pkthdr h = {.caplen = fr.caplen, .len = fr.wirelen};
            if (!pcap_offline_filter(&prog, &h, fr.data)) continue;
        }
        seen_frame(s, d, &fr);
    }
    cap_decoder_free(d);
    cap_files_close(f);
    if (bpf) {
        pcap_freecode(&prog);
        pcap_close(dead);
    }
}

/* ------------------------------------------------------------------------ */
/* Replay                                                                    */
/* ------------------------------------------------------------------------ */

static pid_t replay_start(const char *pcap)
{
    char pps[32], log[160];
    snprintf(pps, sizeof pps, "--pps=%d", REPLAY_PPS);
    snprintf(log, sizeof log, "%s/tcpreplay.log", env.dir);
    const char *argv[] = {"timeout", "60", "ip",        "netns", "exec", env.ns, "tcpreplay",
                          "-q",      "-i", env.veth_ns, pps,     pcap,   NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    int rc = posix_spawnp(&pid, "timeout", &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) fail_msg("spawning tcpreplay: %s", strerror(rc));
    return pid;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Replays pcap while reading n rings (one decoder each, as capture threads
 * have), until the replay ended and the rings were quiet for 300 ms. */
static void replay_and_read(const char *pcap, cap_ring_t **rings, int n, seen_t *per_ring,
                            seen_t *total)
{
    cap_decoder_t *dec[4];
    assert_true(n <= 4);
    memset(total, 0, sizeof *total);
    for (int i = 0; i < n; i++) {
        memset(&per_ring[i], 0, sizeof per_ring[i]);
        dec[i] = cap_decoder_new(NULL, seen_cb, total);
    }
    pid_t child = replay_start(pcap);
    int status = -1;
    bool running = true;
    int64_t quiet_since = 0, give_up = now_ms() + 90000;
    while (now_ms() < give_up) {
        bool got = false;
        for (int i = 0; i < n; i++) {
            cap_frame_t f;
            int rc;
            while ((rc = cap_ring_next(rings[i], &f, n == 1 ? 20 : 0)) == 1) {
                got = true;
                per_ring[i].frames++;
                per_ring[i].hash_sum += fnv1a(f.data, f.caplen);
                assert_int_equal(f.linktype, DLT_EN10MB);
                assert_true(f.ts_ns > 0);
                seen_frame(total, dec[i], &f);
            }
            if (rc < 0) fail_msg("cap_ring_next: %s", cap_ring_error(rings[i]));
        }
        if (n > 1 && !got) {
            struct pollfd pfd[4];
            for (int i = 0; i < n; i++)
                pfd[i] = (struct pollfd){cap_ring_fd(rings[i]), POLLIN, 0};
            poll(pfd, (nfds_t)n, 20);
        }
        if (running && waitpid(child, &status, WNOHANG) == child) running = false;
        if (got || running) {
            quiet_since = 0;
        } else if (!quiet_since) {
            quiet_since = now_ms();
        } else if (now_ms() - quiet_since > 300) {
            break;
        }
    }
    if (running) {
        kill(child, SIGTERM);
        waitpid(child, &status, 0);
    }
    for (int i = 0; i < n; i++)
        cap_decoder_free(dec[i]);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        test_sh("cat %s/tcpreplay.log", env.dir);
        fail_msg("tcpreplay failed (status %d)", status);
    }
}

static void ring_cfg(cap_ring_config_t *c)
{
    cap_ring_config_default(c);
    c->ifname = env.veth_host;
    c->promisc = true; /* the generator's MAC addresses are arbitrary */
    c->block_count = 16;
}

static void assert_no_drops(cap_ring_t *r, uint64_t frames)
{
    cap_ring_stats_t st;
    cap_ring_stats(r, &st);
    print_message("  ring: packets %llu drops %llu freeze %llu frames %llu bytes %llu\n",
                  (unsigned long long)st.packets, (unsigned long long)st.drops,
                  (unsigned long long)st.freeze_q, (unsigned long long)st.frames,
                  (unsigned long long)st.bytes);
    assert_int_equal(st.drops, 0);
    assert_int_equal(st.if_drops, 0);
    assert_int_equal(st.frames, frames);
    assert_int_equal(st.packets, frames);
    assert_int_equal(st.truncated, 0);
}

static void assert_same(const seen_t *want, const seen_t *got)
{
    assert_int_equal(got->frames, want->frames);
    assert_int_equal(got->hash_sum, want->hash_sum);
    assert_int_equal(got->datagrams, want->datagrams);
    assert_int_equal(got->sip, want->sip);
    assert_int_equal(got->ncallids, want->ncallids);
}

#define NEED_ENV()                                                                                 \
    do {                                                                                           \
        if (!env.ready) {                                                                          \
            fail_msg("environment missing: %s (packaging/test.sh runs as root and "                \
                     "installs tcpreplay and iproute2)",                                           \
                     env.skip_why);                                                                \
        }                                                                                          \
    } while (0)

/* ------------------------------------------------------------------------ */
/* Cases                                                                     */
/* ------------------------------------------------------------------------ */

/* Every frame of a 50-call capture, through one AF_PACKET ring. */
static void test_ring_every_frame(void **state)
{
    NEED_ENV();
    seen_t want, per, got;
    scan_file(env.pcap, NULL, &want);
    assert_int_equal(want.ncallids, 50);
    cap_ring_config_t c;
    ring_cfg(&c);
    char err[256];
    cap_ring_t *r = cap_ring_open(&c, err, sizeof err);
    if (!r) fail_msg("%s", err);
    assert_int_equal(cap_ring_linktype(r), DLT_EN10MB);
    cap_iface_stats_t if0, if1;
    assert_int_equal(cap_iface_stats(env.veth_host, &if0), 0);
    replay_and_read(env.pcap, &r, 1, &per, &got);
    assert_int_equal(cap_iface_stats(env.veth_host, &if1), 0);
    assert_int_equal(if1.rx_packets - if0.rx_packets, want.frames);
    assert_int_equal(if1.rx_dropped - if0.rx_dropped, 0);
    assert_int_equal(cap_iface_stats("../x", &if1), -1);
    print_message("  file: %llu frames, %llu SIP messages, %d calls\n",
                  (unsigned long long)want.frames, (unsigned long long)want.sip, want.ncallids);
    assert_same(&want, &got);
    assert_no_drops(r, want.frames);
    cap_ring_close(r);
    seen_free(&want);
    seen_free(&got);
}

/* A BPF filter: only SIP arrives, and all of it. */
static void test_ring_bpf_filter(void **state)
{
    NEED_ENV();
    seen_t want, all, per, got;
    scan_file(env.pcap, "udp port 5060", &want);
    scan_file(env.pcap, NULL, &all);
    assert_true(want.frames > 0 && want.frames < all.frames);
    assert_int_equal(want.sip, all.sip);
    cap_ring_config_t c;
    ring_cfg(&c);
    c.bpf = "udp port 5060";
    char err[256];
    cap_ring_t *r = cap_ring_open(&c, err, sizeof err);
    if (!r) fail_msg("%s", err);
    replay_and_read(env.pcap, &r, 1, &per, &got);
    assert_same(&want, &got);
    assert_int_equal(got.datagrams, got.sip); /* nothing but SIP */
    assert_int_equal(got.non_sip_port, 0);
    assert_no_drops(r, want.frames);
    cap_ring_close(r);
    seen_free(&want);
    seen_free(&all);
    seen_free(&got);
}

/* Two rings in one fanout group: every frame exactly once in total, and
 * both rings get a share. */
static void test_ring_fanout(void **state)
{
    NEED_ENV();
    seen_t want, per[2], got;
    scan_file(env.pcap, NULL, &want);
    cap_ring_config_t c;
    ring_cfg(&c);
    c.fanout_group = env.fanout_group;
    char err[256];
    cap_ring_t *r[2];
    for (int i = 0; i < 2; i++) {
        r[i] = cap_ring_open(&c, err, sizeof err);
        if (!r[i]) fail_msg("%s", err);
    }
    replay_and_read(env.pcap, r, 2, per, &got);
    print_message("  fanout: %llu + %llu frames\n", (unsigned long long)per[0].frames,
                  (unsigned long long)per[1].frames);
    assert_same(&want, &got);
    assert_true(per[0].frames > want.frames / 10);
    assert_true(per[1].frames > want.frames / 10);
    for (int i = 0; i < 2; i++)
        assert_no_drops(r[i], per[i].frames);
    for (int i = 0; i < 2; i++)
        cap_ring_close(r[i]);
    seen_free(&want);
    seen_free(&got);
}

/* Runs file through one ring with filter bpf and checks it arrived byte
 * for byte: with VLAN tags the kernel strips the outer one and the ring
 * puts it back. */
static void check_tagged(const char *file, const char *bpf)
{
    seen_t want, per, got;
    scan_file(file, NULL, &want);
    assert_true(want.frames > 0);
    cap_ring_config_t c;
    ring_cfg(&c);
    c.bpf = bpf;
    char err[256];
    cap_ring_t *r = cap_ring_open(&c, err, sizeof err);
    if (!r) fail_msg("%s", err);
    replay_and_read(file, &r, 1, &per, &got);
    assert_same(&want, &got);
    assert_no_drops(r, want.frames);
    cap_ring_close(r);
    seen_free(&want);
    seen_free(&got);
}

/* 802.1Q: the filter runs on the untagged frame, so "udp" matches. */
static void test_ring_vlan_tag_restored(void **state)
{
    NEED_ENV();
    check_tagged(env.pcap_vlan, "udp");
}

/* 802.1ad + 802.1Q: the outer tag (TPID 0x88a8) is restored; the filter
 * sees the inner tag, so "vlan and udp" matches. */
static void test_ring_qinq_tags_restored(void **state)
{
    NEED_ENV();
    check_tagged(env.pcap_qinq, "vlan and udp");
}

/* The libpcap backend, same checks. */
static void test_libpcap_backend(void **state)
{
    NEED_ENV();
    seen_t want, per, got;
    scan_file(env.pcap, NULL, &want);
    cap_ring_config_t c;
    ring_cfg(&c);
    c.use_libpcap = true;
    char err[256];
    cap_ring_t *r = cap_ring_open(&c, err, sizeof err);
    if (!r) fail_msg("%s", err);
    replay_and_read(env.pcap, &r, 1, &per, &got);
    assert_same(&want, &got);
    assert_no_drops(r, want.frames);
    cap_ring_close(r);
    seen_free(&want);
    seen_free(&got);
}

static void test_open_errors(void **state)
{
    cap_ring_config_t c;
    char err[256];
    cap_ring_config_default(&c);
    assert_null(cap_ring_open(&c, err, sizeof err));
    assert_non_null(strstr(err, "no capture interface"));
    c.ifname = "siphon-nope0";
    assert_null(cap_ring_open(&c, err, sizeof err));
    assert_non_null(strstr(err, "siphon-nope0"));
    c.use_libpcap = true;
    assert_null(cap_ring_open(&c, err, sizeof err));
    assert_non_null(strstr(err, "siphon-nope0"));
    if (geteuid() != 0) return;
    cap_ring_config_default(&c);
    c.ifname = "lo";
    c.bpf = "udp port";
    assert_null(cap_ring_open(&c, err, sizeof err));
    assert_non_null(strstr(err, "filter \"udp port\""));
    c.bpf = NULL;
    c.block_size = 1000;
    assert_null(cap_ring_open(&c, err, sizeof err));
    assert_non_null(strstr(err, "page size"));
    c.block_size = 0;
    c.fanout_group = env.fanout_group ? env.fanout_group : 4242;
    cap_ring_t *a = cap_ring_open(&c, err, sizeof err); /* group now on lo */
    if (!a) fail_msg("%s", err);
    if (env.ready) {
        c.ifname = env.veth_host; /* a group spans one device */
        assert_null(cap_ring_open(&c, err, sizeof err));
        assert_non_null(strstr(err, "PACKET_FANOUT"));
    }
    cap_frame_t f;
    assert_true(cap_ring_next(a, &f, 0) >= 0);
    cap_ring_close(a);
}

static void test_privdrop_unknown_user(void **state)
{
    char err[256];
    assert_int_equal(cap_drop_privileges("siphon-no-such-user", err, sizeof err), -1);
    assert_non_null(strstr(err, "does not exist"));
    assert_int_equal(cap_drop_privileges("", err, sizeof err), -1);
    assert_int_equal(cap_drop_privileges("root", err, sizeof err), -1);
    assert_non_null(strstr(err, "root"));
}

/* In a child: open a ring as root, drop to nobody, then the ring still
 * works but no new capture socket can be made and root cannot come back. */
static void test_privdrop_nobody(void **state)
{
    if (geteuid() != 0) fail_msg("needs root (packaging/test.sh runs as root)");
    struct passwd *pw = getpwnam("nobody");
    if (!pw) fail_msg("no user 'nobody' on this machine");
    uid_t nobody = pw->pw_uid;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char err[256];
        cap_ring_config_t c;
        cap_ring_config_default(&c);
        c.ifname = "lo";
        c.block_count = 2;
        cap_ring_t *r = cap_ring_open(&c, err, sizeof err);
        if (!r) _exit(10);
        if (cap_drop_privileges("nobody", err, sizeof err) != 0) {
            fprintf(stderr, "drop: %s\n", err);
            _exit(11);
        }
        if (getuid() != nobody || geteuid() != nobody) _exit(12);
        if (getgid() != pw->pw_gid || getegid() != pw->pw_gid) _exit(13);
        if (setuid(0) == 0 || errno != EPERM) _exit(14);
        int s = socket(AF_PACKET, SOCK_RAW, htons(0x0003));
        if (s >= 0 || errno != EPERM) _exit(15);
        cap_ring_t *r2 = cap_ring_open(&c, err, sizeof err);
        if (r2 || !strstr(err, "CAP_NET_RAW")) _exit(16);
        cap_frame_t f;
        if (cap_ring_next(r, &f, 10) < 0) _exit(17); /* the open ring still works */
        cap_ring_stats_t st;
        cap_ring_stats(r, &st);
        cap_ring_close(r);
        /* Already that user: a second call is a no-op; another user fails. */
        if (cap_drop_privileges("nobody", err, sizeof err) != 0) _exit(18);
        if (cap_drop_privileges("root", err, sizeof err) == 0) _exit(19);
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* ------------------------------------------------------------------------ */
/* Environment                                                               */
/* ------------------------------------------------------------------------ */

static int group_setup(void **state)
{
    snprintf(env.skip_why, sizeof env.skip_why, "not root");
    env.fanout_group = (uint16_t)(1000 + getpid() % 60000);
    if (geteuid() != 0) return 0;
#ifndef SIPHON_GEN_PATH
    snprintf(env.skip_why, sizeof env.skip_why, "siphon-gen not built");
    return 0;
#else
    const char *gen = getenv("SIPHON_GEN") ? getenv("SIPHON_GEN") : SIPHON_GEN_PATH;
    if (test_sh("command -v tcpreplay >/dev/null && command -v ip >/dev/null") != 0) {
        snprintf(env.skip_why, sizeof env.skip_why, "tcpreplay or ip (iproute2) missing");
        return 0;
    }
    snprintf(env.dir, sizeof env.dir, "/tmp/siphon-ring-XXXXXX");
    if (!mkdtemp(env.dir)) {
        env.dir[0] = '\0';
        snprintf(env.skip_why, sizeof env.skip_why, "mkdtemp: %s", strerror(errno));
        return 0;
    }
    int id = (int)getpid();
    snprintf(env.ns, sizeof env.ns, "siphon-t%d", id);
    snprintf(env.veth_host, sizeof env.veth_host, "spt%dh", id);
    snprintf(env.veth_ns, sizeof env.veth_ns, "spt%dn", id);
    atexit(env_cleanup);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    snprintf(env.pcap, sizeof env.pcap, "%s/calls50.pcap", env.dir);
    snprintf(env.pcap_vlan, sizeof env.pcap_vlan, "%s/vlan.pcap", env.dir);
    snprintf(env.pcap_qinq, sizeof env.pcap_qinq, "%s/qinq.pcap", env.dir);
    if (test_sh("'%s' -q -o %s --truth %s/calls50.ndjson --calls 50 --duration 4 --seed 3", gen,
                env.pcap, env.dir) != 0 ||
        test_sh(
            "'%s' -q -o %s --truth %s/vlan.ndjson --calls 10 --duration 2 --seed 4 --encap vlan",
            gen, env.pcap_vlan, env.dir) != 0 ||
        test_sh(
            "'%s' -q -o %s --truth %s/qinq.ndjson --calls 10 --duration 2 --seed 5 --encap qinq",
            gen, env.pcap_qinq, env.dir) != 0) {
        snprintf(env.skip_why, sizeof env.skip_why, "siphon-gen failed");
        return -1;
    }
    test_sh("ip netns del %s 2>/dev/null", env.ns);
    if (test_sh("ip netns add %s", env.ns) != 0) {
        env.ns[0] = '\0';
        snprintf(env.skip_why, sizeof env.skip_why, "cannot create a network namespace");
        return 0;
    }
    if (test_sh("ip link add %s type veth peer name %s netns %s", env.veth_host, env.veth_ns,
                env.ns) != 0 ||
        test_sh("sysctl -qw net.ipv6.conf.%s.disable_ipv6=1", env.veth_host) != 0 ||
        test_sh("ip netns exec %s sysctl -qw net.ipv6.conf.%s.disable_ipv6=1", env.ns,
                env.veth_ns) != 0 ||
        test_sh("ip link set %s up && ip -n %s link set %s up", env.veth_host, env.ns,
                env.veth_ns) != 0) {
        env_cleanup();
        snprintf(env.skip_why, sizeof env.skip_why, "cannot set up the veth pair");
        return -1;
    }
    env.ready = true;
    return 0;
#endif
}

static int group_teardown(void **state)
{
    env_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_privdrop_unknown_user),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_ring_every_frame),
        cmocka_unit_test(test_ring_bpf_filter),
        cmocka_unit_test(test_ring_fanout),
        cmocka_unit_test(test_ring_vlan_tag_restored),
        cmocka_unit_test(test_ring_qinq_tags_restored),
        cmocka_unit_test(test_libpcap_backend),
        cmocka_unit_test(test_privdrop_nobody),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
