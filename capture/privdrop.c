/* privdrop.c - giving up root once the capture sockets are open.
 *
 * Kernel interface: getpwnam_r, initgroups (setgroups), setresgid,
 * setresuid, prctl(PR_SET_KEEPCAPS / PR_CAP_AMBIENT / PR_SET_NO_NEW_PRIVS),
 * capget/capset (the raw syscalls; no libcap).
 *
 * Design: AF_PACKET needs CAP_NET_RAW only to create a socket; an open one
 * keeps working for any user.  So the daemon opens every ring as root, then
 * calls cap_drop_privileges(capture.user) before it reads a single packet.
 * The switch is ordered as it must be: supplementary groups first (needs
 * root), then the gid, then the uid, all three ids of each (real,
 * effective, saved) so nothing is kept to switch back to.  With
 * PR_SET_KEEPCAPS off the uid change clears the permitted and effective
 * capabilities; we clear the inheritable and ambient sets too and set
 * PR_SET_NO_NEW_PRIVS so no later execve (set-uid binaries, file
 * capabilities) can bring any back.  Then it is verified, not assumed:
 * the ids must be the user's, setuid(0) and setgid(0) must fail, and the
 * capability sets must be empty.  The process-wide calls go through glibc,
 * which applies set*id to every thread, but the intended use is before any
 * thread starts.
 */
#include "capture.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        if (err && errlen) snprintf(err, errlen, __VA_ARGS__);                                     \
        return -1;                                                                                 \
    } while (0)

static int caps_get(struct __user_cap_data_struct data[2])
{
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    return (int)syscall(SYS_capget, &hdr, data);
}

static int caps_clear(void)
{
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    return (int)syscall(SYS_capset, &hdr, data);
}

int cap_drop_privileges(const char *user, char *err, size_t errlen)
{
    if (err && errlen) err[0] = '\0';
    if (!user || !user[0]) FAIL("no user to switch to");

    struct passwd pw, *res = NULL;
    long sz = sysconf(_SC_GETPW_R_SIZE_MAX);
    size_t bufsz = sz > 0 ? (size_t)sz : 16384;
    char *buf = malloc(bufsz);
    if (!buf) FAIL("out of memory");
    int e = getpwnam_r(user, &pw, buf, bufsz, &res);
    if (e || !res) {
        free(buf);
        if (e) FAIL("user %s: %s", user, strerror(e));
        FAIL("user %s does not exist", user);
    }
    uid_t uid = pw.pw_uid;
    gid_t gid = pw.pw_gid;
    if (uid == 0) {
        free(buf);
        FAIL("user %s is root: nothing would be dropped", user);
    }

    if (geteuid() != 0) {
        /* Already unprivileged: fine if we already are that user. */
        free(buf);
        if (getuid() == uid && geteuid() == uid) return 0;
        FAIL("cannot switch to user %s: not running as root", user);
    }
    if (initgroups(pw.pw_name, gid) != 0) {
        e = errno;
        free(buf);
        FAIL("initgroups(%s): %s", user, strerror(e));
    }
    free(buf);
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0)
        FAIL("prctl(PR_SET_KEEPCAPS): %s", strerror(errno));
    if (setresgid(gid, gid, gid) != 0) FAIL("setresgid(%u): %s", (unsigned)gid, strerror(errno));
    if (setresuid(uid, uid, uid) != 0) FAIL("setresuid(%u): %s", (unsigned)uid, strerror(errno));
    (void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); /* EINVAL before 4.3 */
    if (caps_clear() != 0) FAIL("capset: %s", strerror(errno));
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        FAIL("prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));

    /* Verify. */
    uid_t ru, eu, su;
    gid_t rg, eg, sg;
    if (getresuid(&ru, &eu, &su) != 0 || ru != uid || eu != uid || su != uid)
        FAIL("user ids were not all changed to %u", (unsigned)uid);
    if (getresgid(&rg, &eg, &sg) != 0 || rg != gid || eg != gid || sg != gid)
        FAIL("group ids were not all changed to %u", (unsigned)gid);
    if (setuid(0) == 0 || seteuid(0) == 0)
        FAIL("root could be regained after dropping to %s", user);
    if (setgid(0) == 0 && gid != 0) FAIL("group root could be regained after dropping to %s", user);
    struct __user_cap_data_struct caps[2];
    memset(caps, 0, sizeof caps);
    if (caps_get(caps) != 0) FAIL("capget: %s", strerror(errno));
    for (int i = 0; i < 2; i++)
        if (caps[i].effective || caps[i].permitted || caps[i].inheritable)
            FAIL("capabilities remain after dropping to %s", user);
    return 0;
}
