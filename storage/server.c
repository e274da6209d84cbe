/* server.c - the embedded PostgreSQL: siphon's private cluster when no
 * storage.dsn names a server.
 *
 * Debian's postgresql binaries (storage.pg_bin) run a cluster under
 * storage.data_dir, initialised on first use (initdb; database `siphon`,
 * superuser role `siphon`).  It listens on no TCP port, only on a Unix
 * socket in storage.run_dir, and admits only the users siphon runs as
 * (peer authentication with an ident map rewritten at every start: root,
 * storage.pg_user, the invoking user and capture.user map to role
 * `siphon`).  PostgreSQL refuses to run as root: when siphon is root the
 * server runs as storage.pg_user (created by the install step,
 * packaging/deps.sh), otherwise as siphon's own user.
 *
 * Lifetime.  The postmaster is a child of siphon started from a thread of
 * its own ("st-pg"), in a session of its own (a Ctrl-C on siphon's
 * terminal must not reach it: siphon decides when it stops, after the
 * writer's last batch), with PR_SET_PDEATHSIG = SIGINT (fast shutdown) set
 * after its privilege drop (a credential change clears it) and before
 * exec.  The parent-death signal fires when the *thread* that forked it
 * ends: st_server_stop ends that thread and waits for the postmaster to
 * exit, which works even after siphon dropped privileges to a user that
 * may not signal the server's.  When siphon dies (kill -9, a crash) the
 * thread dies with it and the kernel sends the same signal: no orphaned
 * postmaster.  At the next start a postmaster.pid whose process is gone is
 * left to PostgreSQL (it removes a stale lock itself); a live postmaster
 * whose parent is another running siphon is joined (siphon db status
 * beside siphon run), and one whose parent is gone (an orphan) is asked to
 * shut down first.
 */
#include "st_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct st_server {
    char data_dir[512], run_dir[512], pg_bin[512], log[600];
    char dsn[700];
    uid_t uid;
    gid_t gid;
    bool as_other; /* setuid to uid/gid in the children */
    pid_t pid;     /* the postmaster we started; 0: joined one or none */
    pthread_t thread;
    bool thread_running;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stopping;
    bool forked; /* the thread has forked (pid set) or failed */
    char fork_err[256];
};

static void st__sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The server runs as another user: every directory above its data
 * directory must let that user through, or initdb fails with a bare
 * "Permission denied".  0, or -1 with err naming the directory. */
static int st__parents_searchable(const char *dir, uid_t uid, char *err, size_t errlen)
{
    char p[512];
    snprintf(p, sizeof p, "%s", dir);
    for (char *slash = strrchr(p, '/'); slash && slash > p; slash = strrchr(p, '/')) {
        *slash = '\0';
        struct stat st;
        if (stat(p, &st) != 0) continue;
        if ((st.st_mode & S_IXOTH) || (st.st_uid == uid && (st.st_mode & S_IXUSR))) continue;
        snprintf(err, errlen,
                 "storage.data_dir: %s (mode %04o) does not let storage.pg_user through; "
                 "chmod o+x %s",
                 p, (unsigned)(st.st_mode & 07777), p);
        return -1;
    }
    return 0;
}

static int st__mkdir_p(const char *dir, mode_t mode)
{
    char p[512];
    snprintf(p, sizeof p, "%s", dir);
    for (char *q = p + 1; *q; q++) {
        if (*q != '/') continue;
        *q = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) return -1;
        *q = '/';
    }
    if (mkdir(p, mode) != 0 && errno != EEXIST) return -1;
    return 0;
}

/* In a child, before exec: drop to the server's user. */
static void st__child_creds(const st_server_t *s)
{
    if (!s->as_other) return;
    struct passwd *pw = getpwuid(s->uid);
    if (setgid(s->gid) != 0 || initgroups(pw ? pw->pw_name : "nobody", s->gid) != 0 ||
        setuid(s->uid) != 0)
        _exit(126);
}

static void st__child_io(const char *log)
{
    /* siphon blocks its signals for sigtimedwait; a server must get them */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int sigs[] = {SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        signal(sigs[i], SIG_DFL);
    int in = open("/dev/null", O_RDONLY);
    int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (in >= 0) dup2(in, 0);
    if (out >= 0) dup2(out, 1), dup2(out, 2);
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
}

/* Runs initdb as the server's user; 0 or -1 with err. */
static int st__initdb(st_server_t *s, char *err, size_t errlen)
{
    char bin[600], log[600];
    snprintf(bin, sizeof bin, "%s/initdb", s->pg_bin);
    snprintf(log, sizeof log, "%s/initdb.log", s->run_dir);
    unlink(log);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        st__child_creds(s);
        st__child_io(log);
        execl(bin, "initdb", "-D", s->data_dir, "-U", "siphon", "-E", "UTF8", "--no-locale",
              "--auth-local=peer", "--auth-host=reject", (char *)NULL);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, errlen, "initdb of %s failed (exit %d; see %s)%s", s->data_dir,
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1, log,
                 WIFEXITED(status) && WEXITSTATUS(status) == 127 ? ": is postgresql installed "
                                                                   "(storage.pg_bin)?"
                                                                 : "");
        return -1;
    }
    log_info("storage: initialised the embedded PostgreSQL cluster in %s", s->data_dir);
    return 0;
}

/* pg_hba.conf and pg_ident.conf: only the users siphon runs as, by peer. */
static int st__write_auth(st_server_t *s, const st_config_t *cfg, char *err, size_t errlen)
{
    char path[600];
    snprintf(path, sizeof path, "%s/pg_hba.conf", s->data_dir);
    FILE *f = fopen(path, "w");
    if (!f) goto fail;
    fprintf(f, "# written by siphon at every start (storage/server.c)\n"
               "local all all peer map=siphon\n");
    fclose(f);
    snprintf(path, sizeof path, "%s/pg_ident.conf", s->data_dir);
    f = fopen(path, "w");
    if (!f) goto fail;
    fprintf(f, "# written by siphon at every start (storage/server.c)\n");
    const char *users[4] = {"root", NULL, NULL, NULL};
    struct passwd *pw = getpwuid(s->uid);
    users[1] = pw ? pw->pw_name : NULL;
    char self[64] = "";
    pw = getpwuid(geteuid());
    if (pw) snprintf(self, sizeof self, "%s", pw->pw_name);
    users[2] = self[0] ? self : NULL;
    users[3] = cfg->client_user && cfg->client_user[0] ? cfg->client_user : NULL;
    for (int i = 0; i < 4; i++) {
        bool dup = false;
        for (int j = 0; j < i; j++)
            dup |= users[j] && users[i] && strcmp(users[i], users[j]) == 0;
        if (users[i] && !dup &&
            strspn(users[i], "abcdefghijklmnopqrstuvwxyz"
                             "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") == strlen(users[i]))
            fprintf(f, "siphon %s siphon\n", users[i]);
    }
    fclose(f);
    if (s->as_other) {
        snprintf(path, sizeof path, "%s/pg_hba.conf", s->data_dir);
        if (chown(path, s->uid, s->gid) != 0) goto fail;
        snprintf(path, sizeof path, "%s/pg_ident.conf", s->data_dir);
        if (chown(path, s->uid, s->gid) != 0) goto fail;
    }
    return 0;
fail:
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return -1;
}

/* The pid in postmaster.pid, 0 when none. */
static pid_t st__pidfile(const st_server_t *s)
{
    char path[600];
    snprintf(path, sizeof path, "%s/postmaster.pid", s->data_dir);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    long pid = 0;
    if (fscanf(f, "%ld", &pid) != 1) pid = 0;
    fclose(f);
    return (pid_t)pid;
}

static bool st__alive(pid_t pid)
{
    return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* The parent of pid and whether that parent is a siphon. */
static bool st__parent_is_siphon(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *rp = strrchr(buf, ')');
    int ppid = 0;
    char state;
    if (!rp || sscanf(rp + 1, " %c %d", &state, &ppid) != 2 || ppid <= 1) return false;
    snprintf(path, sizeof path, "/proc/%d/comm", ppid);
    f = fopen(path, "r");
    if (!f) return false;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strncmp(buf, "siphon", 6) == 0;
}

static void *st__pg_thread(void *arg)
{
    st_server_t *s = arg;
    pid_t parent = getpid();
    char bin[600], sockopt[600];
    snprintf(bin, sizeof bin, "%s/postgres", s->pg_bin);
    snprintf(sockopt, sizeof sockopt, "unix_socket_directories=%s", s->run_dir);
    pid_t pid = fork();
    if (pid == 0) {
        setsid();
        st__child_creds(s);
        /* after the credential change, which would clear it */
        prctl(PR_SET_PDEATHSIG, SIGINT);
        if (getppid() != parent) _exit(0);
        st__child_io(s->log);
        execl(bin, "postgres", "-D", s->data_dir, "-c", "listen_addresses=", "-c", sockopt, "-c",
              "max_connections=30", "-c", "logging_collector=off", "-c", "TimeZone=UTC",
              /* the write-heavy settings of a monitor (ARCHITECTURE.md, "Storage"):
               * commits do not wait for the WAL flush (spool replays do) */
              "-c", "synchronous_commit=off",
              /* checkpoints every 15 min or 4 GB of WAL, not 5 min / 1 GB: the first
               * change of an index page after a checkpoint logs the whole 8 kB page,
               * and at thousands of calls/s 1 GB of WAL is a minute */
              "-c", "max_wal_size=4GB", "-c", "min_wal_size=256MB", "-c",
              "checkpoint_timeout=15min",
              /* those full-page images compressed (lz4: cheap on CPU) */
              "-c", "wal_compression=lz4",
              /* batches of several MB: their WAL fits in the buffers before the
               * WAL writer flushes it */
              "-c", "wal_buffers=16MB",
              /* the indexes of today's partitions stay in memory (the default 128 MB
               * holds them for a few hundred thousand calls) */
              "-c", "shared_buffers=256MB", (char *)NULL);
        _exit(127);
    }
    pthread_mutex_lock(&s->lock);
    if (pid < 0)
        snprintf(s->fork_err, sizeof s->fork_err, "fork: %s", strerror(errno));
    else
        s->pid = pid;
    s->forked = true;
    pthread_cond_broadcast(&s->cond);
    while (!s->stopping)
        pthread_cond_wait(&s->cond, &s->lock);
    pthread_mutex_unlock(&s->lock);
    return NULL; /* the postmaster gets SIGINT: fast shutdown */
}

/* Waits for the postmaster to exit, up to ms; true when it did.  Polled
 * every 10 ms: a search (`siphon calls`) that started the server for itself
 * waits for this stop, and a clean stop takes a few tens of ms. */
static bool st__reap(pid_t pid, int ms)
{
    for (int waited = 0; waited <= ms; waited += 10) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD)) return true;
        st__sleep_ms(10);
    }
    return false;
}

static void st__end_thread(st_server_t *s)
{
    if (!s->thread_running) return;
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    s->thread_running = false;
}

/* Creates database `siphon` when missing. */
static int st__create_db(st_server_t *s, char *err, size_t errlen)
{
    char dsn[700];
    snprintf(dsn, sizeof dsn, "host=%s dbname=postgres user=siphon", s->run_dir);
    PGconn *c = st__connect(dsn, 10 * NS_PER_SEC, err, errlen);
    if (!c) return -1;
    PGresult *r = PQexec(c, "SELECT 1 FROM pg_database WHERE datname = 'siphon'");
    bool have = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
    PQclear(r);
    int rc = have ? 0 : st__exec(c, "CREATE DATABASE siphon", err, errlen);
    PQfinish(c);
    return rc;
}

int st_prepare_spool(const st_config_t *cfg, char *err, size_t errlen)
{
    if (st__mkdir_p(cfg->spool_dir, 0700) != 0) {
        snprintf(err, errlen, "storage.spool_dir %s: %s", cfg->spool_dir, strerror(errno));
        return -1;
    }
    if (geteuid() == 0 && cfg->client_user && cfg->client_user[0]) {
        struct passwd *pw = getpwnam(cfg->client_user);
        if (pw && chown(cfg->spool_dir, pw->pw_uid, pw->pw_gid) != 0) {
            snprintf(err, errlen, "storage.spool_dir %s: %s", cfg->spool_dir, strerror(errno));
            return -1;
        }
    }
    return 0;
}

st_server_t *st_server_start(const st_config_t *cfg, char *err, size_t errlen)
{
    st_server_t *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    snprintf(s->data_dir, sizeof s->data_dir, "%s", cfg->data_dir);
    snprintf(s->run_dir, sizeof s->run_dir, "%s", cfg->run_dir);
    snprintf(s->pg_bin, sizeof s->pg_bin, "%s", cfg->pg_bin);
    snprintf(s->log, sizeof s->log, "%s/siphon-postgres.log", cfg->data_dir);
    snprintf(s->dsn, sizeof s->dsn, "host=%s dbname=siphon user=siphon", cfg->run_dir);
    s->uid = geteuid(), s->gid = getegid();
    if (geteuid() == 0) {
        struct passwd *pw = getpwnam(cfg->pg_user);
        if (!pw) {
            snprintf(err, errlen,
                     "storage.pg_user %s does not exist: PostgreSQL refuses to run as root, "
                     "create the user (useradd --system %s; packaging/deps.sh does) or set "
                     "storage.dsn",
                     cfg->pg_user, cfg->pg_user);
            goto fail;
        }
        if (pw->pw_uid == 0) {
            snprintf(err, errlen, "storage.pg_user must not be root (PostgreSQL refuses it)");
            goto fail;
        }
        s->uid = pw->pw_uid, s->gid = pw->pw_gid, s->as_other = true;
    }
    if (st__mkdir_p(s->data_dir, 0700) != 0 || st__mkdir_p(s->run_dir, 0755) != 0) {
        snprintf(err, errlen, "storage.data_dir/run_dir: %s", strerror(errno));
        goto fail;
    }
    if (s->as_other &&
        (chown(s->data_dir, s->uid, s->gid) != 0 || chown(s->run_dir, s->uid, s->gid) != 0)) {
        snprintf(err, errlen, "giving %s and %s to storage.pg_user: %s", s->data_dir, s->run_dir,
                 strerror(errno));
        goto fail;
    }
    chmod(s->data_dir, 0700);
    chmod(s->run_dir, 0755);
    if (s->as_other && st__parents_searchable(s->data_dir, s->uid, err, errlen) != 0) goto fail;

    /* a postmaster already on this cluster */
    pid_t old = st__pidfile(s);
    if (st__alive(old)) {
        if (st__parent_is_siphon(old)) {
            log_info("storage: using the embedded PostgreSQL another siphon runs (pid %d)",
                     (int)old);
            return s;
        }
        log_warn("storage: an orphaned embedded PostgreSQL (pid %d) holds %s: shutting it down",
                 (int)old, s->data_dir);
        kill(old, SIGINT);
        for (int i = 0; i < 600 && st__alive(old); i++)
            st__sleep_ms(50);
        if (st__alive(old)) {
            snprintf(err, errlen, "the PostgreSQL (pid %d) on %s does not stop", (int)old,
                     s->data_dir);
            goto fail;
        }
    }
    char path[600];
    snprintf(path, sizeof path, "%s/PG_VERSION", s->data_dir);
    if (access(path, F_OK) != 0 && st__initdb(s, err, errlen) != 0) goto fail;
    if (st__write_auth(s, cfg, err, errlen) != 0) goto fail;

    int rc = pthread_create(&s->thread, NULL, st__pg_thread, s);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the server thread: %s", strerror(rc));
        goto fail;
    }
    pthread_setname_np(s->thread, "st-pg");
    s->thread_running = true;
    pthread_mutex_lock(&s->lock);
    while (!s->forked)
        pthread_cond_wait(&s->cond, &s->lock);
    pthread_mutex_unlock(&s->lock);
    if (!s->pid) {
        snprintf(err, errlen, "starting PostgreSQL: %s", s->fork_err);
        goto fail;
    }
    /* ready when it answers on its socket: asked every 10 ms for the first
     * second (a server on a clean cluster is up in a few tens of ms, and a
     * search that started it waits for this), then every 100 ms */
    char ping[700];
    snprintf(ping, sizeof ping, "host=%s dbname=postgres user=siphon connect_timeout=2",
             s->run_dir);
    for (int waited = 0;; waited += waited < 1000 ? 10 : 100) {
        int status;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = 0;
            snprintf(err, errlen, "the embedded PostgreSQL exited at start (see %s)", s->log);
            goto fail;
        }
        if (PQping(ping) == PQPING_OK) break;
        if (waited >= 60000) {
            snprintf(err, errlen, "the embedded PostgreSQL did not start within 60 s (see %s)",
                     s->log);
            goto fail;
        }
        st__sleep_ms(waited < 1000 ? 10 : 100);
    }
    if (st__create_db(s, err, errlen) != 0) goto fail;
    log_info("storage: embedded PostgreSQL started (pid %d, socket in %s)", (int)s->pid,
             s->run_dir);
    return s;
fail:
    st_server_stop(s);
    return NULL;
}

const char *st_server_dsn(const st_server_t *s)
{
    return s->dsn;
}

void st_server_stop(st_server_t *s)
{
    if (!s) return;
    st__end_thread(s);
    if (s->pid > 0) {
        if (!st__reap(s->pid, 60000)) {
            kill(s->pid, SIGQUIT); /* allowed when we are root or its user */
            if (!st__reap(s->pid, 5000))
                log_error("storage: the embedded PostgreSQL does not stop");
        } else {
            log_info("storage: embedded PostgreSQL stopped");
        }
    }
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s);
}
