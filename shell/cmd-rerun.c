/*
 * cmd-rerun.c - `cairn rerun PATH [--with OLD=NEW]... [--into DIR]`:
 * rebuild PATH through its recorded lineage, inputs swapped.  The chain
 * runner is exec/chain.c; docs/rerun.md says what it promises.
 */
#include "shell-int.h"

#include "provenance.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

/* How an --into directory outside the project is marked as ours: an
 * extended attribute (a file in it would show in the steps' view of the
 * project, since the directory lies above it), else this file. */
#define INTO_XATTR "user.cairn.into"
#define INTO_MARK ".cairn-into"

static int is_url(const char *s)
{
	return !strncmp(s, "https://", 8) || !strncmp(s, "http://", 7) || !strncmp(s, "s3://", 5);
}

/* Characters NEW may hold: it is put into command text as a word. */
static int safe_word(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("._-/+~@%,:=", *s)))
			return 0;
	return 1;
}

/* An absolute, lexically clean form of PATH (relative to the cwd). */
static char *absolute(const char *path)
{
	struct strbuf out = STRBUF_INIT, in = STRBUF_INIT;
	const char *p;
	if (path[0] != '/') {
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof(cwd)))
			return xstrdup(path);
		strbuf_addf(&in, "%s/%s", cwd, path);
	} else {
		strbuf_addstr(&in, path);
	}
	for (p = in.buf; *p;) {
		const char *q;
		size_t n;
		while (*p == '/')
			p++;
		q = strchrnul(p, '/');
		n = (size_t)(q - p);
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *slash = strrchr(out.buf, '/');
			strbuf_setlen(&out, slash ? (size_t)(slash - out.buf) : 0);
		} else if (n && !(n == 1 && p[0] == '.')) {
			strbuf_addch(&out, '/');
			strbuf_add(&out, p, n);
		}
		p = q;
	}
	if (!out.len)
		strbuf_addch(&out, '/');
	strbuf_release(&in);
	return strbuf_detach(&out, NULL);
}

static const char *under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (strncmp(path, dir, n))
		return NULL;
	return path[n] == '/' ? path + n + 1 : path[n] ? NULL : path + n;
}

/* Is directory DIR empty, or made by an earlier --into? */
static int empty_dir(const char *dir)
{
	struct dirent *e;
	struct stat st;
	char *mark = xstrfmt("%s/" INTO_MARK, dir);
	DIR *d;
	char v[4];
	int n = 0,
	    marked = (!lstat(mark, &st) && S_ISREG(st.st_mode)) ||
	    getxattr(dir, INTO_XATTR, v, sizeof(v)) >= 0;
	free(mark);
	if (marked)
		return 1;
	d = opendir(dir);
	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n == 0;
}

/*
 * Check and make the --into directory.  Steps never write to it
 * themselves (their writes land in their overlay and cairn moves them),
 * but what cairn moves there must stay there: DIR is refused when it is
 * (or holds) the project or its store, when a path inside the project
 * leads out of it through a symlink, and outside the project unless it
 * is new, empty, or made by an earlier --into (it then holds .cairn-into).
 * *OUT: its real path.  0, or the exit status after a message.
 */
static int check_into(char **out, const char *dir, const char *root)
{
	char *abs = absolute(dir), *real = NULL, *cdir = xstrfmt("%s/.cairn", root);
	struct stat st;
	int inside = under(abs, root) != NULL, ret = 2;

	if (lstat(abs, &st) < 0) {
		/* A new directory: its parent must be real. */
		char *slash = strrchr(abs, '/'), *parent, *rp;
		if (errno != ENOENT || !slash) {
			fprintf(stderr, "cairn rerun: --into %s: %s\n", dir, strerror(errno));
			goto out;
		}
		parent = xstrndup(abs, (size_t)(slash - abs));
		rp = realpath(*parent ? parent : "/", NULL);
		free(parent);
		if (!rp) {
			fprintf(stderr,
				"cairn rerun: --into %s: its parent directory does not exist\n",
				dir);
			goto out;
		}
		real = xstrfmt("%s/%s", strcmp(rp, "/") ? rp : "", slash + 1);
		free(rp);
	} else {
		real = realpath(abs, NULL);
		if (!real || stat(real, &st) < 0 || !S_ISDIR(st.st_mode)) {
			fprintf(stderr, "cairn rerun: --into %s: not a directory\n", dir);
			goto out;
		}
	}
	if (inside && !under(real, root)) {
		fprintf(
		    stderr,
		    "cairn rerun: --into %s leads out of the project (to %s) through a symlink: "
		    "refused\n",
		    dir, real);
		goto out;
	}
	if (under(root, real)) {
		fprintf(stderr, "cairn rerun: --into %s holds the project: refused\n", dir);
		goto out;
	}
	if (under(real, cdir)) {
		fprintf(stderr, "cairn rerun: --into %s is inside the store: refused\n", dir);
		goto out;
	}
	if (!under(real, root) && !lstat(real, &st) && !empty_dir(real)) {
		fprintf(stderr,
			"cairn rerun: --into %s is outside the project, exists and is not empty "
			"(nor made by an earlier --into): refused\n",
			dir);
		goto out;
	}
	if (lstat(real, &st) < 0 && mkdir(real, 0755) < 0) {
		fprintf(stderr, "cairn rerun: cannot create %s: %s\n", real, strerror(errno));
		ret = 125;
		goto out;
	}
	if (!under(real, root) && setxattr(real, INTO_XATTR, "1", 1, 0) < 0) {
		char *mark = xstrfmt("%s/" INTO_MARK, real);
		int fd = open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
		free(mark);
	}
	*out = real;
	real = NULL;
	ret = 0;
out:
	free(abs);
	free(real);
	free(cdir);
	return ret;
}

static void summary(const struct exec_chain *c, const char *into_shown)
{
	size_t i, cached = 0, ran = 0, k;
	json_t *w;
	for (i = 0; i < c->nsteps; i++) {
		if (!c->steps[i].done)
			continue;
		if (c->steps[i].cached)
			cached++;
		else
			ran++;
	}
	fprintf(stderr, "cairn rerun: %s: %zu step%s in its lineage: %zu cached, %zu ran",
		c->target, c->nsteps, c->nsteps == 1 ? "" : "s", cached, ran);
	if (c->ahead)
		fprintf(stderr, " (%zu ahead of turn)", c->ahead);
	fputc('\n', stderr);
	json_array_foreach(c->with, k, w)
	{
		struct strbuf where = STRBUF_INIT;
		for (i = 0; i < c->nsteps; i++) {
			const char *id =
			    json_string_value(json_object_get(c->steps[i].record, "id"));
			if (c->steps[i].substituted)
				strbuf_addf(&where, "%s%.8s", where.len ? ", " : "", id ? id : "?");
		}
		fprintf(stderr, "cairn rerun: substituted %s -> %s (in step %s)\n",
			json_string_value(json_object_get(w, "old")),
			json_string_value(json_object_get(w, "new")), where.buf);
		strbuf_release(&where);
	}
	for (i = 0; i < c->nsteps; i++) {
		const struct exec_chain_step *cs = &c->steps[i];
		const char *cmd = json_string_value(json_object_get(cs->record, "command"));
		struct strbuf line = STRBUF_INIT;
		if (cmd)
			strbuf_add(&line, cmd, strcspn(cmd, "\n"));
		fprintf(stderr, "  %.8s -> %.8s  %-6s  %s\n",
			json_string_value(json_object_get(cs->record, "id")),
			cs->done ? cs->new_id : "-",
			!cs->done	 ? "-"
			    : cs->cached ? "cached"
					 : "ran",
			line.buf);
		strbuf_release(&line);
	}
	if (into_shown)
		fprintf(stderr, "cairn rerun: results are in %s/ (working files untouched)\n",
			into_shown);
	else
		fprintf(stderr,
			"cairn rerun: %s rebuilt in place (earlier versions: cairn checkout "
			"%s --at %.8s)\n",
			c->target, c->target, c->target_step);
}

static int cmd_rerun_exec(int argc, char **argv)
{
	struct exec_session_opts o = { 0 };
	struct shell_project proj = { 0 };
	struct exec_session es;
	struct exec_chain chain = { 0 };
	struct exec_subst *with = NULL;
	struct strvec strings = STRVEC_INIT;
	const char *path = NULL, *into = NULL;
	char *root = NULL, *rel = NULL, *into_real = NULL;
	size_t nwith = 0, failed = 0, k;
	int i, ret = 2, have_session = 0, no_cache = 0;
	unsigned jobs = shell_default_jobs();

	if (cmd_wants_help(argc, argv)) {
		cmd_print_help(&cmd_rerun_entry);
		return 0;
	}
	with = xcalloc((size_t)argc, sizeof(*with));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		if (!strcmp(a, "--with") || !strcmp(a, "--into") || !strcmp(a, "--jobs") ||
		    !strcmp(a, "-j") || !strcmp(a, "--on")) {
			if (i + 1 >= argc) {
				ret = shell_usage_error(&cmd_rerun_entry, "%s needs a value", a);
				goto out;
			}
			v = argv[++i];
		} else if (!strncmp(a, "--with=", 7) || !strncmp(a, "--into=", 7) ||
			   !strncmp(a, "--jobs=", 7)) {
			v = a + 7;
		} else if (!strncmp(a, "--on=", 5)) {
			v = a + 5;
		}
		if (!strncmp(a, "--with", 6)) {
			const char *eq = strchr(v, '=');
			if (!eq || eq == v || !eq[1]) {
				ret = shell_usage_error(&cmd_rerun_entry,
							"--with takes OLD=NEW, not '%s'", v);
				goto out;
			}
			strvec_push_nodup(&strings, xstrndup(v, (size_t)(eq - v)));
			with[nwith].old = strings.v[strings.nr - 1];
			strvec_push(&strings, eq + 1);
			with[nwith].repl = strings.v[strings.nr - 1];
			nwith++;
		} else if (!strncmp(a, "--into", 6)) {
			into = v;
		} else if (!strncmp(a, "--jobs", 6) || !strcmp(a, "-j")) {
			if (shell_parse_jobs(&jobs, v) < 0) {
				ret = shell_usage_error(&cmd_rerun_entry,
							"--jobs takes a number from 1 to 1024");
				goto out;
			}
		} else if (!strncmp(a, "--on", 4)) {
			if (strcmp(v, "local")) {
				ret = shell_usage_error(&cmd_rerun_entry,
							"--on %s: only local is supported", v);
				goto out;
			}
		} else if (!strcmp(a, "--no-cache")) {
			no_cache = 1;
		} else if (a[0] == '-' && a[1]) {
			ret = shell_usage_error(&cmd_rerun_entry, "unknown option '%s'", a);
			goto out;
		} else if (path) {
			ret = shell_usage_error(&cmd_rerun_entry, "one PATH only");
			goto out;
		} else {
			path = a;
		}
	}
	if (!path) {
		ret = shell_usage_error(&cmd_rerun_entry, "no path given");
		goto out;
	}
	root = shell_store_root();
	if (!root && provenance_find_root(&root, ".") < 0) {
		fprintf(stderr, "cairn rerun: %s\n", err_last());
		goto out;
	}
	if (shell_project_setup(&o, &proj) < 0) {
		fprintf(stderr, "cairn rerun: %s\n", err_last());
		ret = 125;
		goto out;
	}
	free(root);
	root = xstrdup(provenance_store_root(proj.store));
	if (provenance_relpath(&rel, proj.store, path) < 0) {
		fprintf(stderr, "cairn rerun: %s\n", err_last());
		goto out;
	}
	for (k = 0; k < nwith; k++) {
		char *old = NULL;
		if (!is_url(with[k].old)) {
			if (provenance_relpath(&old, proj.store, with[k].old) < 0) {
				fprintf(stderr, "cairn rerun: %s\n", err_last());
				goto out;
			}
			strvec_push_nodup(&strings, old);
			with[k].old = old;
		}
		if (is_url(with[k].repl)) {
			if (!strncmp(with[k].repl, "s3://", 5) && !strchr(with[k].repl + 5, '/')) {
				fprintf(stderr, "cairn rerun: %s: s3://BUCKET/KEY expected\n",
					with[k].repl);
				goto out;
			}
		} else {
			char *abs = absolute(with[k].repl);
			struct stat st;
			if (stat(abs, &st) < 0) {
				fprintf(stderr, "cairn rerun: --with %s=%s: %s: %s\n", with[k].old,
					with[k].repl, with[k].repl, strerror(errno));
				free(abs);
				goto out;
			}
			strvec_push_nodup(&strings, abs);
			with[k].repl = abs;
		}
		if (!safe_word(with[k].repl)) {
			fprintf(stderr,
				"cairn rerun: %s: only letters, digits and ._-/+~@%%,:= can be put "
				"into a command\n",
				with[k].repl);
			goto out;
		}
	}
	if (exec_chain_plan(&chain, proj.store, rel, NULL, with, nwith) < 0) {
		fprintf(stderr, "cairn rerun: %s\n", err_last());
		goto out;
	}
	if (!into) {
		/* A file an --into run made is rebuilt into the same place. */
		const char *was = NULL;
		for (k = 0; k < chain.nsteps; k++) {
			const json_t *r = chain.steps[k].record;
			const char *id = json_string_value(json_object_get(r, "id"));
			if (id && !strcmp(id, chain.target_step))
				was = json_string_value(json_object_get(r, "into"));
		}
		if (was) {
			char *dir = was[0] == '/' ? xstrdup(was) : xstrfmt("%s/%s", root, was);
			strvec_push_nodup(&strings, dir);
			into = dir;
			fprintf(stderr,
				"cairn rerun: %s was made by a rerun --into %s: into it again\n",
				rel, was);
		}
	}
	if (into && (ret = check_into(&into_real, into, root)) != 0)
		goto out;

	o.mode = EXEC_MODE_STRING;
	o.lang = EXEC_LANG_BASH;
	o.into = into_real;
	o.no_cache = no_cache || shell_opts.no_cache;
	if (exec_session_init(&es, &o) < 0) {
		fprintf(stderr, "cairn rerun: %s\n", err_last());
		ret = 125;
		goto out;
	}
	have_session = 1;
	chain.jobs = jobs;
	ret = exec_chain_run(&es, &chain, 0, &failed);
	if (ret < 0) {
		fprintf(stderr, "cairn rerun: %s\n", err_last());
		ret = 125;
	} else if (ret > 0) {
		const json_t *r = chain.steps[failed].record;
		fprintf(stderr,
			"cairn rerun: step %.8s (%s) failed with status %d: nothing was changed\n",
			json_string_value(json_object_get(r, "id")),
			json_string_value(json_object_get(r, "command")),
			chain.steps[failed].status);
		ret = 1;
	} else {
		struct strbuf shown = STRBUF_INIT;
		if (into_real) {
			const char *r = under(into_real, root);
			strbuf_addstr(&shown, r ? r : into_real);
		}
		summary(&chain, into_real ? shown.buf : NULL);
		strbuf_release(&shown);
	}
out:
	if (have_session)
		exec_session_release(&es);
	if (proj.store && shell_project_release(&proj) < 0) {
		fprintf(stderr, "cairn rerun: %s\n", err_last());
		if (!ret)
			ret = 125;
	}
	exec_chain_release(&chain);
	strvec_clear(&strings);
	free(with);
	free(root);
	free(rel);
	free(into_real);
	return ret;
}

const struct cmd_entry cmd_rerun_entry = {
	.name = "rerun",
	.usage = "cairn rerun PATH [--with OLD=NEW]... [--into DIR] [--jobs N] [--no-cache]",
	.summary = "Rebuild a file through its recorded lineage, inputs swapped.",
	.help = "Runs again the steps that made PATH: the step that wrote its current\n"
		"version and, transitively, the steps that wrote what it read, oldest\n"
		"first -- not the whole session.  Each step starts from the shell state it\n"
		"was recorded with, with the same shell and $0, so a step that nothing\n"
		"changed for is served from the cache; the records go to a new session\n"
		"and carry `rerun` {of_step, with}.  See docs/rerun.md.\n"
		"\n"
		"Options:\n"
		"  --with OLD=NEW  read NEW where the lineage read OLD.  OLD: a path (as\n"
		"                  recorded, or relative to here) or a URL as recorded;\n"
		"                  NEW: a path, an https:// URL or s3://BUCKET/KEY.  OLD is\n"
		"                  replaced where a step's command or its variables name it\n"
		"                  (as a whole word); a URL goes to GDAL programs as\n"
		"                  /vsicurl/URL or /vsis3/BUCKET/KEY, and those steps get the\n"
		"                  network (recorded as sandbox.network).  Repeatable.\n"
		"  --into DIR      write the rebuilt files under DIR, mirroring their\n"
		"                  project paths (out/x.tif -> DIR/out/x.tif); later steps\n"
		"                  read them from there; working files stay as they are.\n"
		"                  Outside the project, DIR must be new or empty.\n"
		"  --no-cache      run every step of the chain\n"
		"  -j, --jobs N    run up to N steps at once (default: the number of\n"
		"                  CPUs): a step whose recorded inputs no step before it\n"
		"                  writes starts early, as in `cairn replay`; output,\n"
		"                  records and files are those of running in order.\n"
		"                  With --into, one at a time.\n"
		"  --on local      run here (the only backend)\n"
		"\n"
		"Without --into, rebuilt files replace the working copies (earlier\n"
		"versions stay in the store: cairn checkout PATH --at STEP).  If a step\n"
		"fails, the files it had replaced are put back and nothing is recorded.\n"
		"\n"
		"Exit status: 0 rebuilt, 1 a step failed, 2 usage (PATH never recorded, OLD\n"
		"not read in its lineage or named by no command, NEW missing), 125 trouble.\n",
	.exec = cmd_rerun_exec,
};
