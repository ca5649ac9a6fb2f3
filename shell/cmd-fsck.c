/*
 * cmd-fsck.c - `cairn fsck [--repair]`: check the store (content store,
 * temporaries, action cache, pending records, records' outputs, the
 * lineage repository) and repair what can be repaired.
 */
#include "shell-int.h"

#include "cache.h"
#include "provenance.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct fsck {
	struct prov_store *st;
	const char *dir; /* .cairn */
	int repair;
	size_t problems, repaired;
	size_t objects, records, commits;
	json_t *collected; /* session id -> true: gc removed their objects */
};

static void problem(struct fsck *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct fsck *f, const char *fmt, ...)
{
	va_list ap;
	f->problems++;
	printf("problem: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void repaired(struct fsck *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void repaired(struct fsck *f, const char *fmt, ...)
{
	va_list ap;
	f->repaired++;
	printf("  repaired: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* ---- objects ------------------------------------------------------------ */

static int check_object(const struct cache_object *o, void *payload)
{
	struct fsck *f = payload;
	char got[SHA256_HEX_LEN + 1];
	char *dest = NULL;
	int r;

	f->objects++;
	if (o->misnamed) {
		problem(f, "%s is not named as a content store object", o->path);
	} else if ((r = cache_cas_check(got, NULL, o)) == CAIRN_ECONFLICT) {
		problem(f, "object %s is corrupt: expected %s, its bytes hash to %s", o->path,
			o->sha, got);
	} else if (r < 0) {
		problem(f, "object %s is damaged: %s", o->path, err_last());
	} else {
		return 0;
	}
	if (!f->repair)
		return 0;
	if (cache_quarantine(&dest, f->dir, o->path) < 0) {
		printf("  not repaired: %s\n", err_last());
		return 0;
	}
	repaired(f, "moved to %s", dest);
	free(dest);
	return 0;
}

/* ---- temporaries -------------------------------------------------------- */

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static int open_up(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag == FTW_D && (sb->st_mode & 0700) != 0700)
		chmod(path, 0700);
	return 0;
}

static int remove_tree(const char *path)
{
	struct stat sb;
	/* Read-only directories (as a step may leave) are opened up first,
	 * on a walk down, since the removing walk goes bottom up. */
	if (lstat(path, &sb) < 0)
		return errno == ENOENT ? 0 : -1;
	if (S_ISDIR(sb.st_mode)) {
		chmod(path, 0700);
		nftw(path, open_up, 16, FTW_PHYS);
		nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	} else {
		unlink(path);
	}
	return lstat(path, &sb) < 0 ? 0 : -1;
}

/* Is the lock file PATH held by someone (a running session)? */
static int lock_held(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC), held = 0;
	if (fd < 0)
		return 0;
	held = flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

/*
 * .cairn/tmp holds each running session's <id>.lock (held) and <id>/
 * (its layers), and the content store's temporaries.  A session's
 * entries are leftovers when its lock is free; the others when no
 * session runs at all (IDLE).
 */
static void check_tmp(struct fsck *f, int idle)
{
	char *dir = xstrfmt("%s/tmp", f->dir);
	struct strvec names = STRVEC_INIT;
	struct dirent *e;
	DIR *d = opendir(dir);
	size_t i, skipped = 0;

	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			strvec_push(&names, e->d_name);
	if (d)
		closedir(d);
	for (i = 0; i < names.nr; i++) {
		const char *n = names.v[i];
		size_t len = strlen(n);
		char *p = xstrfmt("%s/%s", dir, n), *lock = NULL;
		int leftover;

		if (len > 5 && !strcmp(n + len - 5, ".lock"))
			lock = xstrdup(p);
		else {
			lock = xstrfmt("%s.lock", p);
			if (access(lock, F_OK) < 0) {
				free(lock);
				lock = NULL;
			}
		}
		leftover = lock ? !lock_held(lock) : idle;
		if (!lock && !idle)
			skipped++;
		if (leftover) {
			problem(f, "leftover temporary %s (no running session owns it)", p);
			if (f->repair) {
				if (remove_tree(p) < 0)
					printf("  not repaired: cannot remove %s\n", p);
				else
					repaired(f, "removed");
			}
		}
		free(lock);
		free(p);
	}
	if (skipped)
		printf("note: a cairn session is running; %zu temporar%s in %s not checked\n",
		       skipped, skipped == 1 ? "y" : "ies", dir);
	strvec_clear(&names);
	free(dir);
}

/* ---- action cache ------------------------------------------------------- */

static int object_present(const char *sha, void *payload)
{
	struct fsck *f = payload;
	return cache_cas_has(f->dir, sha);
}

static void action_problem(const char *path, const char *what, void *payload)
{
	struct fsck *f = payload;
	problem(f, "%s: %s", path, what);
	if (f->repair)
		repaired(f, "dropped");
}

/* ---- pending records ---------------------------------------------------- */

static void check_journal(struct fsck *f)
{
	char *dir = xstrfmt("%s/journal", f->dir);
	struct dirent *e;
	DIR *d = opendir(dir);

	while (d && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n > 5 && !strcmp(e->d_name + n - 5, ".json"))
			problem(f,
				"%s/%s: the record of an interrupted step is not stored yet (the "
				"next cairn session stores it)",
				dir, e->d_name);
		else if (n > 8 && !strcmp(e->d_name + n - 8, ".journal"))
			problem(f,
				"%s/%s: the commit of an interrupted step is not finished (the "
				"next cairn session finishes it)",
				dir, e->d_name);
		else if (n > 9 && !strcmp(e->d_name + n - 9, ".json.tmp"))
			problem(f,
				"%s/%s: a record never completed (the next cairn session "
				"removes it)",
				dir, e->d_name);
	}
	if (d)
		closedir(d);
	free(dir);
}

/* ---- records' outputs --------------------------------------------------- */

/*
 * The object SHA of PATH (written by step ID) is missing.  The repair:
 * the file in the project may still hold exactly those bytes; store them
 * again.
 */
static void missing_object(struct fsck *f, const char *id, const char *what, const char *path,
			   const char *sha)
{
	char *abs;
	char got[SHA256_HEX_LEN + 1];

	problem(f, "step %.8s %s: object %.12s is missing from the content store", id, what, sha);
	if (!f->repair || !path)
		return;
	abs = path[0] == '/' ? xstrdup(path) : xstrfmt("%s/%s", provenance_store_root(f->st), path);
	if (util_sha256_file(got, NULL, abs) == 0 && !strcmp(got, sha) &&
	    cache_cas_put_file(got, f->dir, abs) == 0)
		repaired(f, "stored again from %s, which still holds those bytes", abs);
	else
		printf("  not repaired: no copy of those bytes is left\n");
	free(abs);
}

static int check_record(json_t *rec, void *payload)
{
	static const char *const logs[] = { "stdout_sha256", "stderr_sha256", "end_state_sha256" };
	struct fsck *f = payload;
	const char *id = json_string_value(json_object_get(rec, "id"));
	const char *sid = json_string_value(json_object_get(rec, "session"));
	json_t *w;
	size_t i;

	f->records++;
	if (!id)
		id = "?";
	/* Their objects were collected on purpose. */
	if (sid && json_object_get(f->collected, sid))
		return 0;
	/* A failed step's writes were hashed, never stored. */
	if (!json_is_true(json_object_get(rec, "committed")) &&
	    !json_is_true(json_object_get(rec, "cached")))
		goto logs;
	json_array_foreach(json_object_get(rec, "writes"), i, w)
	{
		const char *sha = json_string_value(json_object_get(w, "sha256"));
		const char *path = json_string_value(json_object_get(w, "path"));
		const char *kind = json_string_value(json_object_get(w, "kind"));
		char *what;
		if (!sha || (kind && strcmp(kind, "file")) || cache_cas_has(f->dir, sha))
			continue;
		what = xstrfmt("wrote %s", path ? path : "?");
		missing_object(f, id, what, path, sha);
		free(what);
	}
logs:
	for (i = 0; i < ARRAY_SIZE(logs); i++) {
		const char *sha = json_string_value(json_object_get(rec, logs[i]));
		char *what;
		if (!sha || cache_cas_has(f->dir, sha))
			continue;
		what = xstrfmt("(%s)", logs[i]);
		missing_object(f, id, what, NULL, sha);
		free(what);
	}
	return 0;
}

static void lineage_problem(const char *what, void *payload)
{
	problem(payload, "lineage.git: %s", what);
}

static int cmd_fsck_exec(int argc, char **argv)
{
	struct fsck f = { 0 };
	struct cache_actions_result ar;
	char *gcpath = NULL;
	json_t *gc = NULL, *v;
	int wait = 0, lock = -1, idle = 0, k, ret;
	size_t i, sessions_running = 0;

	if (cmd_wants_help(argc, argv)) {
		cmd_print_help(&cmd_fsck_entry);
		return 0;
	}
	for (k = 1; k < argc; k++) {
		if (!strcmp(argv[k], "--repair"))
			f.repair = 1;
		else if (!strcmp(argv[k], "--wait"))
			wait = 1;
		else
			return shell_usage_error(&cmd_fsck_entry, "unknown argument '%s'", argv[k]);
	}
	if ((ret = shell_store_open(&f.st, &cmd_fsck_entry)))
		return ret;
	f.dir = provenance_store_dir(f.st);
	if (f.repair) {
		if ((ret = cache_lock_exclusive(&lock, f.dir, wait)) < 0) {
			ret = shell_store_fail(&cmd_fsck_entry, ret);
			goto out;
		}
		idle = 1;
	} else if (cache_lock_exclusive(&lock, f.dir, 0) == 0) {
		/* Only to learn whether a session runs; checking needs no
		 * lock, and holding it would stall sessions starting now. */
		idle = 1;
		cache_unlock(lock);
		lock = -1;
	}
	/* Sessions that predate the cache lock only hold their own. */
	{
		char *dir = xstrfmt("%s/tmp", f.dir);
		DIR *d = opendir(dir);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			size_t n = strlen(e->d_name);
			char *p;
			if (n < 6 || strcmp(e->d_name + n - 5, ".lock"))
				continue;
			p = xstrfmt("%s/%s", dir, e->d_name);
			sessions_running += lock_held(p);
			free(p);
		}
		if (d)
			closedir(d);
		free(dir);
	}
	if (sessions_running)
		idle = 0;
	if (f.repair && sessions_running) {
		ret = shell_store_fail(&cmd_fsck_entry,
				       err_set(CAIRN_ECONFLICT,
					       "a running cairn session is using the store; let it "
					       "finish first"));
		goto out;
	}
	gcpath = xstrfmt("%s/gc.json", f.dir);
	gc = util_json_load_file(gcpath, 0, NULL);
	f.collected = json_object();
	json_array_foreach(json_object_get(gc, "collected_sessions"), i, v)
	{
		if (json_is_string(v))
			json_object_set_new(f.collected, json_string_value(v), json_true());
	}

	/* Objects first: what is quarantined here counts as missing below. */
	if ((ret = cache_cas_foreach(f.dir, check_object, &f)) < 0)
		goto fail;
	check_tmp(&f, idle);
	if ((ret = cache_actions_prune(
		 &ar, f.dir, object_present, action_problem,
		 f.repair ? CACHE_ACTIONS_DROP_MALFORMED : CACHE_ACTIONS_DRY_RUN, &f)) < 0)
		goto fail;
	check_journal(&f);
	if ((ret = provenance_foreach_record(f.st, check_record, &f)) < 0)
		problem(&f, "the records cannot all be read: %s", err_last());
	ret = provenance_check(&f.commits, f.st, lineage_problem, &f);
	if (ret < 0 && ret != CAIRN_ECONFLICT)
		problem(&f, "lineage.git cannot be checked: %s", err_last());

	if (!f.problems) {
		printf("clean: %zu objects, %zu action entries, %zu records, %zu commits\n",
		       f.objects, ar.entries, f.records, f.commits);
		ret = 0;
	} else {
		printf("%zu problem%s found", f.problems, f.problems == 1 ? "" : "s");
		if (f.repair)
			printf(", %zu repaired, %zu not repaired\n", f.repaired,
			       f.problems - f.repaired);
		else
			printf(" (nothing changed; `cairn fsck --repair` repairs what it can)\n");
		ret = 1;
	}
	goto out;
fail:
	ret = shell_store_fail(&cmd_fsck_entry, ret);
	if (ret != 2)
		ret = 125;
out:
	cache_unlock(lock);
	json_decref(gc);
	json_decref(f.collected);
	free(gcpath);
	provenance_store_free(f.st);
	return ret;
}

const struct cmd_entry cmd_fsck_entry = {
	.name = "fsck",
	.usage = "cairn fsck [--repair] [--wait]",
	.summary = "Check the store and repair what can be repaired.",
	.help = "Checks: content store objects re-hashed (corrupt or misnamed ones are\n"
		"moved to .cairn/lost+found/ with --repair); leftover temporaries in\n"
		".cairn/tmp that no running session owns (removed); action cache entries\n"
		"that are malformed or reference missing objects (dropped); records of\n"
		"interrupted steps still pending in .cairn/journal (reported: the next\n"
		"cairn session finishes them); records whose committed outputs are\n"
		"missing from the content store (stored again from the project when the\n"
		"file there still holds those bytes; objects that `cairn cache gc`\n"
		"collected are not missing); lineage.git: every ref under refs/cairn/\n"
		"resolves and every commit it reaches parses, step commits holding a\n"
		"step.json.\n\n"
		"--repair takes the cache lock exclusively and refuses while a session\n"
		"runs, unless --wait.\n\n"
		"Exit status: 0 clean; 1 problems found (repaired or not: the output\n"
		"says which); 2 usage; 125 the check itself failed.\n",
	.exec = cmd_fsck_exec,
};
