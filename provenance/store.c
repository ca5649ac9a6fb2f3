/*
 * store.c - finding, creating and opening a project's store; helpers the
 * other files share (errors, locking, times, signatures, trees).
 */
#include "prov-int.h"

#include <git2/sys/odb_backend.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int prov__git_err(int code, const char *fmt, ...)
{
	const git_error *e = git_error_last();
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	err_set(code, "%s: %s", sb.buf, e && e->message ? e->message : "unknown libgit2 error");
	strbuf_release(&sb);
	return code;
}

static int is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int provenance_find_root(char **out, const char *start)
{
	struct strbuf probe = STRBUF_INIT;
	char *dir = realpath(start, NULL);
	int ret;

	if (!dir)
		return err_errno(CAIRN_ENOTFOUND, "cannot resolve %s", start);
	for (;;) {
		char *slash;
		strbuf_reset(&probe);
		strbuf_addf(&probe, "%s/.cairn", strcmp(dir, "/") ? dir : "");
		if (is_dir(probe.buf)) {
			*out = dir;
			dir = NULL;
			ret = 0;
			break;
		}
		slash = strrchr(dir, '/');
		if (!slash || !strcmp(dir, "/")) {
			ret = err_set(
			    CAIRN_ENOTFOUND,
			    "no cairn store in %s or any parent directory (run 'cairn init')",
			    start);
			break;
		}
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	free(dir);
	strbuf_release(&probe);
	return ret;
}

static int mkdir_if_missing(const char *path)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return err_errno(CAIRN_ERROR, "cannot create %s", path);
	return 0;
}

static int create_layout(const char *root)
{
	static const char *const subdirs[] = { "", "/cas", "/cas/sha256", "/actions", "/tmp" };
	struct strbuf p = STRBUF_INIT;
	git_repository *repo = NULL;
	git_config *cfg = NULL;
	size_t i;
	int ret = 0;

	for (i = 0; i < ARRAY_SIZE(subdirs); i++) {
		strbuf_reset(&p);
		strbuf_addf(&p, "%s/.cairn%s", root, subdirs[i]);
		if ((ret = mkdir_if_missing(p.buf)) < 0)
			goto out;
	}

	strbuf_reset(&p);
	strbuf_addf(&p, "%s/.cairn/lineage.git", root);
	if (!is_dir(p.buf)) {
		git_repository_init_options o;
		git_repository_init_options_init(&o, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
		o.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
		o.initial_head = "main";
		o.description = "cairn lineage: one commit per step, see refs/cairn/*";
		if (git_repository_init_ext(&repo, p.buf, &o) < 0) {
			ret = prov__git_err(CAIRN_ERROR, "cannot create %s", p.buf);
			goto out;
		}
	}

	/* A project that is also a git work tree should not see the store
	 * as untracked files. */
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/.cairn/.gitignore", root);
	if (access(p.buf, F_OK) < 0) {
		int fd = open(p.buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 || util_write_all(fd, "*\n", 2) < 0) {
			ret = err_errno(CAIRN_ERROR, "cannot write %s", p.buf);
			if (fd >= 0)
				close(fd);
			goto out;
		}
		close(fd);
	}

	strbuf_reset(&p);
	strbuf_addf(&p, "%s/.cairn/config", root);
	if (access(p.buf, F_OK) < 0) {
		/* git-config format, so that libgit2's config API and `git config
		 * -f` both read it. */
		if (git_config_open_ondisk(&cfg, p.buf) < 0 ||
		    git_config_set_int32(cfg, "cairn.storeversion", 1) < 0) {
			ret = prov__git_err(CAIRN_ERROR, "cannot write %s", p.buf);
			goto out;
		}
	}
out:
	git_config_free(cfg);
	git_repository_free(repo);
	strbuf_release(&p);
	return ret;
}

/*
 * A writer killed between updating refs/cairn/index and refs/cairn/latest
 * leaves them naming different steps; put that right on open (best
 * effort: a read-only store is still readable).  The check costs two ref
 * reads.
 */
static void repair_if_needed(struct prov_store *st)
{
	git_commit *idx = NULL;
	git_oid latest;
	int have, lock = -1;

	have = git_reference_name_to_id(&latest, st->repo, PROV_REF_LATEST) == 0;
	if (prov__index_tip(&idx, st) < 0)
		goto out;
	if ((!have && !idx) || (have && idx && git_oid_equal(&latest, prov__index_step(idx))))
		goto out;
	if (prov__lock(st, &lock) == 0)
		prov__latest_repair(st);
out:
	prov__unlock(lock);
	git_commit_free(idx);
	git_error_clear();
	err_clear();
}

/*
 * Records are small and many: write their loose objects with zlib's
 * fastest level (any level is valid git), through a loose backend put
 * ahead of the default ones.  Best effort: without it, the default
 * backend writes them.
 */
static void fast_loose_objects(struct prov_store *st, const char *gitdir)
{
	git_odb *odb = NULL;
	git_odb_backend *b = NULL;
	char *objects = xstrfmt("%s/objects", gitdir);
	if (git_repository_odb(&odb, st->repo) == 0 &&
	    git_odb_backend_loose(&b, objects, 1 /* Z_BEST_SPEED */, 1 /* fsync */, 0, 0) == 0 &&
	    git_odb_add_backend(odb, b, 100) < 0 && b)
		b->free(b);
	git_odb_free(odb);
	git_error_clear();
	free(objects);
}

/* Is the store of project ROOT listed in $CAIRN_SAFE_STORE (':'-separated
 * project directories, or '*')? */
static int safe_listed(const char *root)
{
	const char *v = getenv("CAIRN_SAFE_STORE"), *p;
	size_t n = strlen(root);
	if (!v)
		return 0;
	for (p = v; *p;) {
		size_t len = strcspn(p, ":");
		if ((len == 1 && *p == '*') || (len == n && !strncmp(p, root, n)))
			return 1;
		p += len + (p[len] == ':');
	}
	return 0;
}

/*
 * A store someone else made is not ours to act on: a .cairn in a shared
 * /tmp or group directory, or a handed project's, owned by another user
 * (as git's safe.directory), and a store whose own files are symbolic
 * links (.cairn/tmp -> ~: sweeping it would remove the user's files) are
 * refused.  What does not exist yet is made by us.
 */
static int store_safe(const char *root)
{
	static const char *const own[] = { "tmp",	 "journal",	   "lineage.git",
					   "cas",	 "actions",	   "index",
					   "config",	 "lock",	   "cache.lock",
					   "index.lock", ".gitignore",	   "lost+found",
					   "lineage.db", "lineage.db-wal", "lineage.db-shm" };
	static const char *const fanout[] = { "cas", "cas/sha256", "actions",	"actions/sites",
					      "tmp", "journal",	   "lost+found" };
	struct strbuf p = STRBUF_INIT;
	struct stat sb;
	size_t i;
	int ret = 0;

	strbuf_addf(&p, "%s/.cairn", strcmp(root, "/") ? root : "");
	if (lstat(p.buf, &sb) < 0)
		goto out; /* a new store */
	if (S_ISLNK(sb.st_mode) || !S_ISDIR(sb.st_mode)) {
		ret = err_set(CAIRN_ERROR,
			      "%s is not a directory but a %s: refusing to use it as a store",
			      p.buf, S_ISLNK(sb.st_mode) ? "symbolic link" : "file");
		goto out;
	}
	if (sb.st_uid != geteuid() && !safe_listed(root)) {
		ret = err_set(CAIRN_ERROR,
			      "the store %s belongs to another user (uid %u): cairn uses only "
			      "stores you own; to use it anyway, name its project in "
			      "CAIRN_SAFE_STORE (CAIRN_SAFE_STORE=%s, ':' between several, '*' "
			      "for any)",
			      p.buf, (unsigned)sb.st_uid, root);
		goto out;
	}
	for (i = 0; i < ARRAY_SIZE(own); i++) {
		strbuf_reset(&p);
		strbuf_addf(&p, "%s/.cairn/%s", strcmp(root, "/") ? root : "", own[i]);
		if (lstat(p.buf, &sb) == 0 && S_ISLNK(sb.st_mode)) {
			ret = err_set(
			    CAIRN_ERROR,
			    "%s is a symbolic link: a store's own files never are, and cairn "
			    "would write or remove through it; remove the link to go on",
			    p.buf);
			goto out;
		}
	}
	/* and the fan-out directories that fsck and gc list to remove or
	 * move what they find */
	for (i = 0; !ret && i < ARRAY_SIZE(fanout); i++) {
		DIR *d;
		struct dirent *e;
		strbuf_reset(&p);
		strbuf_addf(&p, "%s/.cairn/%s", strcmp(root, "/") ? root : "", fanout[i]);
		if (lstat(p.buf, &sb) < 0)
			continue;
		if (S_ISDIR(sb.st_mode) && !(d = opendir(p.buf)))
			continue; /* not ours to list: nor to act on */
		if (!S_ISDIR(sb.st_mode)) {
			ret = err_set(CAIRN_ERROR,
				      "%s is not a directory: a store's own files never are "
				      "links or other things; remove it to go on",
				      p.buf);
			break;
		}
		while ((e = readdir(d))) {
			size_t len = p.len;
			if (e->d_type != DT_LNK && e->d_type != DT_UNKNOWN)
				continue;
			strbuf_addf(&p, "/%s", e->d_name);
			if (lstat(p.buf, &sb) == 0 && S_ISLNK(sb.st_mode)) {
				ret = err_set(CAIRN_ERROR,
					      "%s is a symbolic link: a store's own files never "
					      "are, and cairn would write or remove through it; "
					      "remove the link to go on",
					      p.buf);
				break;
			}
			strbuf_setlen(&p, len);
		}
		closedir(d);
	}
out:
	strbuf_release(&p);
	return ret;
}

/*
 * libgit2 set up for cairn's own repository: no user, XDG or system git
 * configuration is looked for ($HOME may be another user's, under setpriv
 * or sudo, and a user's git settings are not the store's).
 */
static void git_init(void)
{
	git_libgit2_init();
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_GLOBAL, "");
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_XDG, "");
	git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_SYSTEM, "");
}

int provenance_store_open(struct prov_store **out, const char *root, int create)
{
	struct prov_store *st = NULL;
	struct strbuf p = STRBUF_INIT;
	char *abs = NULL;
	int ret = -1;

	git_init();
	/* Every object the store links to was written by this code a moment
	 * before: libgit2 need not re-check that it exists (an open() each). */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 0);
	/* Objects and refs fsync'ed (each file, then its directory): a
	 * record counts as stored, and its pending copy in .cairn/journal is
	 * removed, only once a power loss cannot take it back; and no ref
	 * survives the objects it names.  Before the repository is opened:
	 * libgit2 reads it when it sets up the ref database. */
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	if (create && mkdir(root, 0755) < 0 && errno != EEXIST) {
		ret = err_errno(CAIRN_ERROR, "cannot create %s", root);
		goto out;
	}
	abs = realpath(root, NULL);
	if (!abs) {
		ret = err_errno(CAIRN_ENOTFOUND, "cannot resolve %s", root);
		goto out;
	}
	if ((ret = store_safe(abs)) < 0 || (create && (ret = create_layout(abs)) < 0))
		goto out;

	st = xcalloc(1, sizeof(*st));
	st->batch_lock = -1;
	st->root = abs;
	abs = NULL;
	st->dir = xstrfmt("%s/.cairn", strcmp(st->root, "/") ? st->root : "");
	strbuf_addf(&p, "%s/lineage.git", st->dir);
	if (!is_dir(p.buf)) {
		ret = err_set(CAIRN_ENOTFOUND, "no cairn store in %s (run 'cairn init')", st->root);
		goto out;
	}
	if (git_repository_open_bare(&st->repo, p.buf) < 0) {
		ret = prov__git_err(CAIRN_ERROR, "cannot open %s", p.buf);
		goto out;
	}
	fast_loose_objects(st, p.buf);
	repair_if_needed(st);
	*out = st;
	st = NULL;
	ret = 0;
out:
	if (st)
		provenance_store_free(st); /* also balances git_libgit2_init() */
	else if (ret < 0)
		git_libgit2_shutdown();
	free(abs);
	strbuf_release(&p);
	return ret;
}

void provenance_store_free(struct prov_store *st)
{
	if (!st)
		return;
	if (st->batch_lock >= 0 && provenance_batch_end(st) < 0)
		warn("%s", err_last());
	free(st->pending);
	free(st->readrefs);
	free(st->bsteps);
	json_decref(st->bpaths);
	json_decref(st->paths);
	prov__qdb_close(st);
	git_repository_free(st->repo);
	git_repository_free(st->work);
	free(st->work_prefix);
	free(st->root);
	free(st->dir);
	free(st);
	git_libgit2_shutdown();
}

const char *provenance_store_root(const struct prov_store *st)
{
	return st->root;
}

const char *provenance_store_dir(const struct prov_store *st)
{
	return st->dir;
}

int prov__lock(struct prov_store *st, int *fd)
{
	struct strbuf p = STRBUF_INIT;
	int ret = 0;

	if (st->batch_lock >= 0) {
		*fd = -1;
		return 0;
	}
	strbuf_addf(&p, "%s/lock", st->dir);
	*fd = open(p.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (*fd < 0) {
		ret = err_errno(CAIRN_ERROR, "cannot open %s", p.buf);
		goto out;
	}
	while (flock(*fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		ret = err_errno(CAIRN_ERROR, "cannot lock %s", p.buf);
		close(*fd);
		*fd = -1;
		goto out;
	}
out:
	strbuf_release(&p);
	return ret;
}

void prov__unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

static void forget_read_refs(struct prov_store *st)
{
	size_t i;
	for (i = 0; i < st->nreadrefs; i++)
		free(st->readrefs[i].name);
	st->nreadrefs = 0;
}

int prov__ref_id(git_oid *out, struct prov_store *st, const char *name)
{
	struct prov_read_ref *r;
	size_t i;
	int e;
	for (i = 0; i < st->npending; i++) {
		if (!strcmp(st->pending[i].name, name)) {
			git_oid_cpy(out, &st->pending[i].oid);
			return 0;
		}
	}
	if (st->batch_lock < 0)
		return git_reference_name_to_id(out, st->repo, name);
	for (i = 0; i < st->nreadrefs; i++) {
		if (!strcmp(st->readrefs[i].name, name)) {
			if (!st->readrefs[i].found)
				return GIT_ENOTFOUND;
			git_oid_cpy(out, &st->readrefs[i].oid);
			return 0;
		}
	}
	e = git_reference_name_to_id(out, st->repo, name);
	if (e < 0 && e != GIT_ENOTFOUND)
		return e;
	ALLOC_GROW(st->readrefs, st->nreadrefs + 1, st->alloc_readrefs);
	r = &st->readrefs[st->nreadrefs++];
	r->name = xstrdup(name);
	r->found = e == 0;
	if (r->found)
		git_oid_cpy(&r->oid, out);
	return e;
}

int prov__ref_set(struct prov_store *st, const char *name, const git_oid *oid, const char *msg)
{
	git_reference *ref = NULL;
	size_t i;
	if (st->batch_lock >= 0) {
		for (i = 0; i < st->npending; i++) {
			if (!strcmp(st->pending[i].name, name)) {
				git_oid_cpy(&st->pending[i].oid, oid);
				return 0;
			}
		}
		ALLOC_GROW(st->pending, st->npending + 1, st->alloc_pending);
		st->pending[st->npending].name = xstrdup(name);
		git_oid_cpy(&st->pending[st->npending].oid, oid);
		st->npending++;
		return 0;
	}
	if (git_reference_create(&ref, st->repo, name, oid, 1, msg) == GIT_ELOCKED) {
		/*
		 * Every ref is written under the store's lock (prov__lock(),
		 * held by the caller), so a ref's .lock file is a dead
		 * writer's, left by a crash or a power loss: it would block
		 * the store for ever.
		 */
		char *stale = xstrfmt("%s/lineage.git/%s.lock", st->dir, name);
		git_error_clear();
		unlink(stale);
		free(stale);
		if (git_reference_create(&ref, st->repo, name, oid, 1, msg) < 0)
			return prov__git_err(CAIRN_ERROR, "cannot update %s", name);
	} else if (!ref) {
		return prov__git_err(CAIRN_ERROR, "cannot update %s", name);
	}
	git_reference_free(ref);
	return 0;
}

int provenance_batch_begin(struct prov_store *st)
{
	int fd;
	if (st->batch_lock >= 0)
		return 0;
	if (prov__lock(st, &fd) < 0)
		return -1;
	st->batch_lock = fd;
	forget_read_refs(st);
	return 0;
}

int provenance_batch_end(struct prov_store *st)
{
	size_t i;
	int ret = 0, fd = st->batch_lock, pass;
	if (fd < 0)
		return 0;
	/* The index for the batch's steps (its ref is pending too). */
	if (prov__index_flush_batch(st) < 0)
		ret = -1;
	st->batch_lock = -1;
	forget_read_refs(st);
	/* Sessions first, then the index, then latest, as a single record
	 * writes them (a crash in between leaves what the next writer
	 * repairs).  After a failure, none: the records stay pending. */
	for (pass = 0; pass < 3; pass++) {
		for (i = 0; i < st->npending; i++) {
			const char *name = st->pending[i].name;
			int which = !strcmp(name, PROV_REF_INDEX) ? 1
			    : !strcmp(name, PROV_REF_LATEST)	  ? 2
								  : 0;
			if (which == pass && !ret &&
			    prov__ref_set(st, name, &st->pending[i].oid, "cairn: steps recorded") <
				0)
				ret = -1;
		}
	}
	for (i = 0; i < st->npending; i++)
		free(st->pending[i].name);
	st->npending = 0;
	if (!ret)
		prov__qdb_after_record(st);
	prov__unlock(fd);
	return ret;
}

int prov__parse_time(int64_t *out, const char *s)
{
	struct tm tm = { 0 };
	const char *p;
	int64_t t;

	if (!s || !(p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return err_set(CAIRN_ERROR, "'%s' is not an RFC 3339 time", s ? s : "(null)");
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	t = (int64_t)timegm(&tm);
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
		int h = atoi(p + 1), m = atoi(p + 4);
		int64_t off = (int64_t)(h * 3600 + m * 60);
		t -= *p == '+' ? off : -off;
		p += 6;
	}
	if (*p)
		return err_set(CAIRN_ERROR, "'%s' is not an RFC 3339 time", s);
	*out = t;
	return 0;
}

int prov__signature(git_signature **out, struct prov_store *st, int64_t when)
{
	git_signature *def = NULL;
	char host[HOST_NAME_MAX + 1] = "localhost";
	const char *user;
	char *email = NULL;
	int ret = 0;

	if (git_signature_default(&def, st->repo) == 0) {
		if (git_signature_new(out, def->name, def->email, (git_time_t)when, 0) < 0)
			ret = prov__git_err(CAIRN_ERROR, "cannot make a commit signature");
		goto out;
	}
	user = getenv("USER");
	if (!user || !*user)
		user = "cairn";
	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	email = xstrfmt("%s@%s", user, host);
	if (git_signature_new(out, user, email, (git_time_t)when, 0) < 0)
		ret = prov__git_err(CAIRN_ERROR, "cannot make a commit signature");
out:
	git_signature_free(def);
	free(email);
	return ret;
}

int prov__ref_tree(git_tree **out, struct prov_store *st, const char *ref)
{
	git_commit *c = NULL;
	git_oid oid;
	int e, ret = 0;

	*out = NULL;
	e = prov__ref_id(&oid, st, ref);
	if (e == GIT_ENOTFOUND)
		return 0;
	if (e < 0)
		return prov__git_err(CAIRN_ERROR, "cannot read %s", ref);
	if (git_commit_lookup(&c, st->repo, &oid) < 0 || git_commit_tree(out, c) < 0)
		ret = prov__git_err(CAIRN_ERROR, "cannot read the commit of %s", ref);
	git_commit_free(c);
	return ret;
}

int prov__parse_json(json_t **out, const void *buf, size_t len, const char *name)
{
	json_error_t jerr;

	*out = util_json_loadb(buf, len, 0, &jerr);
	if (!*out)
		return err_set(CAIRN_ERROR, "%s in the store is not valid JSON: %s (line %d)", name,
			       jerr.text, jerr.line);
	return 0;
}

int prov__tree_json(json_t **out, struct prov_store *st, git_tree *tree, const char *path)
{
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	int rc, ret = 0;

	*out = NULL;
	rc = git_tree_entry_bypath(&e, tree, path);
	if (rc == GIT_ENOTFOUND)
		return err_set(CAIRN_ENOTFOUND, "no %s in the store", path);
	if (rc < 0)
		return prov__git_err(CAIRN_ERROR, "cannot read %s", path);
	if (git_blob_lookup(&blob, st->repo, git_tree_entry_id(e)) < 0) {
		ret = prov__git_err(CAIRN_ERROR, "cannot read %s", path);
		goto out;
	}
	ret =
	    prov__parse_json(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob), path);
out:
	git_blob_free(blob);
	git_tree_entry_free(e);
	return ret;
}

int prov__load_record(json_t **out, struct prov_store *st, const git_oid *commit)
{
	git_commit *c = NULL;
	git_tree *t = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	int ret;

	if (git_commit_lookup(&c, st->repo, commit) < 0 || git_commit_tree(&t, c) < 0) {
		ret = prov__git_err(CAIRN_ERROR, "cannot read step commit %s",
				    git_oid_tostr(hex, sizeof(hex), commit));
		goto out;
	}
	ret = prov__tree_json(out, st, t, "step.json");
	if (ret == CAIRN_ENOTFOUND)
		ret = err_set(CAIRN_ERROR, "commit %s holds no step.json",
			      git_oid_tostr(hex, sizeof(hex), commit));
	if (!ret && !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		ret = err_set(CAIRN_ERROR, "step.json of commit %s is not an object",
			      git_oid_tostr(hex, sizeof(hex), commit));
	}
	/* Summaries that were pending when it was stored, made since. */
	if (!ret)
		(void)provenance_formats_resolve(*out, st->dir);
out:
	git_tree_free(t);
	git_commit_free(c);
	return ret;
}

int prov__overlay_tags(json_t *record, struct prov_store *st, git_tree *tags_tree)
{
	const char *id = json_string_value(json_object_get(record, "id"));
	json_t *extra = NULL, *tags;
	char path[64];
	int ret;

	tags = json_object_get(record, "tags");
	if (!json_is_object(tags)) {
		tags = json_object();
		json_object_set_new(record, "tags", tags);
	}
	if (!tags_tree || !id || strlen(id) != PROV_ID_LEN)
		return 0;
	snprintf(path, sizeof(path), "tags/%s.json", id);
	ret = prov__tree_json(&extra, st, tags_tree, path);
	if (ret == CAIRN_ENOTFOUND)
		return 0;
	if (ret < 0)
		return ret;
	if (json_is_object(extra))
		json_object_update(tags, extra);
	json_decref(extra);
	return 0;
}

/* Collapse "." and ".." and repeated slashes of the absolute path P. */
static char *normalise(const char *p)
{
	struct strvec parts = STRVEC_INIT;
	struct strbuf out = STRBUF_INIT;
	size_t i;

	while (*p) {
		size_t n;
		p += strspn(p, "/");
		n = strcspn(p, "/");
		if (!n)
			break;
		if (n == 2 && !strncmp(p, "..", 2)) {
			if (parts.nr) {
				free(parts.v[--parts.nr]);
				parts.v[parts.nr] = NULL;
			}
		} else if (!(n == 1 && *p == '.')) {
			strvec_push_nodup(&parts, xstrndup(p, n));
		}
		p += n;
	}
	for (i = 0; i < parts.nr; i++)
		strbuf_addf(&out, "/%s", parts.v[i]);
	if (!out.len)
		strbuf_addch(&out, '/');
	strvec_clear(&parts);
	return strbuf_detach(&out, NULL);
}

int provenance_relpath(char **out, struct prov_store *st, const char *path)
{
	char *abs = NULL, *norm = NULL, *dir = NULL, *real = NULL, *slash;
	size_t n = strlen(st->root);

	if (path[0] == '/') {
		abs = xstrdup(path);
	} else {
		char *cwd = getcwd(NULL, 0);
		if (!cwd)
			return err_errno(CAIRN_ERROR, "cannot get the working directory");
		abs = xstrfmt("%s/%s", cwd, path);
		free(cwd);
	}
	norm = normalise(abs);
	/* Resolve the directory (the file itself may be gone, or a symlink
	 * that records name as such). */
	slash = strrchr(norm, '/');
	dir = slash == norm ? xstrdup("/") : xstrndup(norm, (size_t)(slash - norm));
	if ((real = realpath(dir, NULL))) {
		free(abs);
		abs = xstrfmt("%s/%s", strcmp(real, "/") ? real : "", slash + 1);
		free(norm);
		norm = normalise(abs);
	}
	if (!strcmp(norm, st->root))
		*out = xstrdup(".");
	else if (!strncmp(norm, st->root, n) && norm[n] == '/')
		*out = xstrdup(norm + n + 1);
	else if (!strcmp(st->root, "/"))
		*out = xstrdup(norm + 1);
	else
		*out = xstrdup(norm);
	free(abs);
	free(norm);
	free(dir);
	free(real);
	return 0;
}

static int collect_value(const git_config_entry *e, void *payload)
{
	strvec_push(payload, e->value);
	return 0;
}

int provenance_config_values(struct strvec *out, struct prov_store *st, const char *name)
{
	struct strbuf p = STRBUF_INIT;
	int ret;
	strbuf_addf(&p, "%s/config", st->dir);
	ret = provenance_config_file_values(out, p.buf, name);
	strbuf_release(&p);
	return ret;
}

int provenance_config_file_values(struct strvec *out, const char *path, const char *name)
{
	git_config *cfg = NULL;
	struct stat sb;
	int ret = 0;

	git_init();
	/* no such file (or a $HOME that is not ours to read): no values */
	if (stat(path, &sb) < 0 && (errno == ENOENT || errno == ENOTDIR || errno == EACCES))
		goto out;
	if (git_config_open_ondisk(&cfg, path) < 0) {
		ret = prov__git_err(CAIRN_ERROR, "cannot read %s", path);
		goto out;
	}
	if (git_config_get_multivar_foreach(cfg, name, NULL, collect_value, out) < 0 &&
	    git_error_last() && git_error_last()->klass != GIT_ERROR_NONE) {
		/* A missing key is GIT_ENOTFOUND: no values. */
		git_error_clear();
	}
out:
	git_config_free(cfg);
	git_libgit2_shutdown();
	return ret;
}
