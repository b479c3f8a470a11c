/*
 * Giving root up (see priv.h). The capabilities are set with the capset
 * system call itself: two bits do not need libcap. PR_SET_KEEPCAPS keeps the
 * permitted set across setresuid, and capset then narrows it to the two
 * kept; CAP_SETUID and CAP_SETGID go, so setuid(0) fails, which is checked.
 */

#include "priv.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "log.h"
#include "xmalloc.h"

#define KEPT_CAPS	((1U << CAP_NET_RAW) | (1U << CAP_NET_BIND_SERVICE))

int
priv_lookup(const char *user, const char *group, uid_t *uid, gid_t *gid, char *err,
    size_t errlen)
{
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	char buf[16384];
	int rc;

	if ((rc = getpwnam_r(user, &pw, buf, sizeof(buf), &pwp)) != 0 || pwp == NULL) {
		snprintf(err, errlen, "no user \"%s\"%s%s", user, rc != 0 ? ": " : "",
		    rc != 0 ? strerror(rc) : "");
		return -1;
	}
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	if (group == NULL)
		return 0;
	if ((rc = getgrnam_r(group, &gr, buf, sizeof(buf), &grp)) != 0 || grp == NULL) {
		snprintf(err, errlen, "no group \"%s\"%s%s", group, rc != 0 ? ": " : "",
		    rc != 0 ? strerror(rc) : "");
		return -1;
	}
	*gid = gr.gr_gid;
	return 0;
}

/* Gives path (if it exists) to uid:gid unless it is theirs; -1 after logging. */
static int
hand_over(const char *path, uid_t uid, gid_t gid, const char *user)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return errno == ENOENT ? 0 : (log_warn("bridge.user: %s", path), -1);
	if (st.st_uid == uid && st.st_gid == gid)
		return 0;
	if (chown(path, uid, gid) != 0) {
		log_warn("bridge.user: cannot give %s to user %s (chown it, or run without "
		    "bridge.user)", path, user);
		return -1;
	}
	log_info("bridge.user: %s now belongs to %s", path, user);
	return 0;
}

/* The state directory and the SQLite database with its companions. */
static int
hand_over_state(const struct bridge_config *bc, uid_t uid, gid_t gid)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	char *dir;
	int rc = hand_over(bc->state_dir, uid, gid, bc->user);

	if (strcmp(bc->store.backend, "sqlite") != 0 || bc->store.path == NULL)
		return rc;
	/* The database's directory: SQLite makes its journal files there. */
	dir = xstrdup(bc->store.path);
	if (strrchr(dir, '/') != NULL) {
		*strrchr(dir, '/') = '\0';
		if (dir[0] != '\0' && strcmp(dir, bc->state_dir) != 0 &&
		    hand_over(dir, uid, gid, bc->user) != 0)
			rc = -1;
	}
	free(dir);
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		char *p = xasprintf("%s%s", bc->store.path, suffixes[i]);

		if (hand_over(p, uid, gid, bc->user) != 0)
			rc = -1;
		free(p);
	}
	return rc;
}

/* Narrows the permitted and effective capabilities to KEPT_CAPS; -1 on failure. */
static int
keep_caps(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) != 0)
		return -1;
	data[0].permitted &= KEPT_CAPS;
	data[0].effective = data[0].permitted;
	data[0].inheritable = 0;
	data[1].permitted = data[1].effective = data[1].inheritable = 0;
	return syscall(SYS_capset, &hdr, data) == 0 ? 0 : -1;
}

int
priv_drop(const struct bridge_config *bc)
{
	uid_t uid, ru, eu, su;
	gid_t gid, rg, eg, sg;
	char err[256];

	if (bc->user == NULL)
		return 0;
	if (geteuid() != 0) {
		log_info("bridge.user: not started as root (uid %u): nothing to drop, "
		    "running as uid %u", (unsigned)geteuid(), (unsigned)geteuid());
		return 0;
	}
	if (priv_lookup(bc->user, bc->group, &uid, &gid, err, sizeof(err)) != 0) {
		log_warnx("bridge.user: %s", err);
		return -1;
	}
	if (uid == 0) {
		log_info("bridge.user: %s is root: nothing to drop", bc->user);
		return 0;
	}
	if (hand_over_state(bc, uid, gid) != 0)
		return -1;
	if (prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) != 0 || setgroups(1, &gid) != 0 ||
	    setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0) {
		log_warn("bridge.user: cannot become %s (uid %u, gid %u)", bc->user,
		    (unsigned)uid, (unsigned)gid);
		return -1;
	}
	if (keep_caps() != 0 || prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L) != 0) {
		log_warn("bridge.user: cannot narrow the capabilities");
		return -1;
	}
	/* Root must be gone for good. */
	if (setuid(0) != -1 || seteuid(0) != -1 || setgid(0) != -1 ||
	    getresuid(&ru, &eu, &su) != 0 || ru != uid || eu != uid || su != uid ||
	    getresgid(&rg, &eg, &sg) != 0 || rg != gid || eg != gid || sg != gid)
		fatalx("bridge.user: root could be regained after dropping it: stopping");
	log_info("bridge.user: dropped root: now %s (uid %u, gid %u), keeping CAP_NET_RAW "
	    "and CAP_NET_BIND_SERVICE", bc->user, (unsigned)uid, (unsigned)gid);
	return 0;
}
