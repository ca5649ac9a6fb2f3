/*
 * cmd-report.c - `cairn report [SESSION|PATH] [-o FILE.html]`: a session
 * or a file's lineage as one self-contained HTML page.
 */
#include "shell-int.h"
#include "provenance.h"
#include "provenance-lineage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

/* More steps than this and dot takes too long to be worth the wait
 * (keep the message in draw() in step). */
#define REPORT_GRAPH_MAX_STEPS 400

struct report {
	struct prov_store *st;
	const char *tmpdir;
	int thumbs; /* thumbnails made so far */
};

static int store_get(json_t **out, const char *step_id, void *payload)
{
	return provenance_step_get(out, payload, step_id);
}

static int store_writer(char out_id[33], char out_sha[65], const char *path, void *payload)
{
	return provenance_latest_writer(out_id, out_sha, payload, path);
}

/*
 * Run ARGV (no shell: paths stay arguments) with ENV_SET ("NAME=value" or
 * NULL) added to the environment, standard input /dev/null, standard
 * error discarded; append its standard output to OUT.  0 when it exits
 * with a status in OK_MASK (bit N: status N), else -1.
 */
static int run_capture(struct strbuf *out, const char *const argv[], const char *env_set,
		       unsigned ok_mask)
{
	int fds[2], st = 0;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return err_errno(CAIRN_ERROR, "pipe");
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return err_errno(CAIRN_ERROR, "fork");
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		const char *path = getenv("PATH");
		char *envp[8], *p = xstrfmt("PATH=%s", path ? path : "/usr/bin:/bin");
		size_t n = 0;
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 2) < 0 || dup2(fds[1], 1) < 0)
			_exit(127);
		/* No network (a new network namespace where user namespaces
		 * allow it), and GDAL looks for no sidecar: a planted x.tif.ovr
		 * that is a VRT would have it read other files or URLs.  Not
		 * the user's environment: PATH, and what is set here. */
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
			errno = 0;
		envp[n++] = p;
		envp[n++] = (char *)"GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR";
		envp[n++] = (char *)"GDAL_HTTP_PROXY=127.0.0.1:9";
		envp[n++] = (char *)"CPL_VSIL_CURL_ALLOWED_EXTENSIONS=.none";
		if (env_set)
			envp[n++] = (char *)env_set;
		envp[n] = NULL;
		execvpe(argv[0], (char *const *)argv, envp);
		_exit(127);
	}
	close(fds[1]);
	if (strbuf_read_fd(out, fds[0]) < 0) {
		close(fds[0]);
		waitpid(pid, &st, 0);
		return -1;
	}
	close(fds[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) > 31 || !(ok_mask & (1u << WEXITSTATUS(st))))
		return err_set(CAIRN_ERROR, "%s failed", argv[0]);
	return 0;
}

/* Write LEN bytes to a new file in the report's temporary directory. */
static int temp_file(char **out, const struct report *r, const char *name, const void *buf,
		     size_t len)
{
	struct strbuf p = STRBUF_INIT;
	int fd, ret = 0;

	strbuf_addf(&p, "%s/%s", r->tmpdir, name);
	fd = open(p.buf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || util_write_all(fd, buf, len) < 0)
		ret = err_errno(CAIRN_ERROR, "cannot write %s", p.buf);
	if (fd >= 0)
		close(fd);
	if (ret < 0) {
		strbuf_release(&p);
		return ret;
	}
	*out = strbuf_detach(&p, NULL);
	return 0;
}

/* The newest step that started before STARTED and ran code file PATH. */
struct code_hunt {
	const char *path, *started, *not_id;
	char *out_id, *out_sha;
	long left; /* records still to look at */
};

static int hunt_code(json_t *record, void *payload)
{
	struct code_hunt *h = payload;
	const char *id = json_string_value(json_object_get(record, "id"));
	const char *started = json_string_value(json_object_get(record, "started"));
	json_t *c;
	size_t i;

	if (!id || !started || !strcmp(id, h->not_id) || strcmp(started, h->started) >= 0)
		return --h->left > 0 ? 0 : 2;
	json_array_foreach(json_object_get(record, "code"), i, c)
	{
		const char *p = json_string_value(json_object_get(c, "path"));
		const char *s = json_string_value(json_object_get(c, "sha256"));
		if (p && s && !strcmp(p, h->path)) {
			snprintf(h->out_id, PROV_REPORT_ID_MAX, "%s", id);
			snprintf(h->out_sha, PROV_REPORT_ID_MAX, "%s", s);
			return 1;
		}
	}
	return --h->left > 0 ? 0 : 2;
}

/* Newest first, so the previous version is found early; a store of many
 * thousand steps is not read to the end for it. */
static int code_before(char out_step[PROV_REPORT_ID_MAX], char out_sha[PROV_REPORT_ID_MAX],
		       const json_t *record, const char *path, void *payload)
{
	struct report *r = payload;
	const char *started = json_string_value(json_object_get(record, "started"));
	const char *id = json_string_value(json_object_get(record, "id"));
	struct code_hunt h = { path, started, id, out_step, out_sha, 5000 };

	if (!started || !id)
		return -1;
	return provenance_foreach_step(r->st, hunt_code, &h) == 1 ? 0 : -1;
}

/* `diff -u` of two versions of PATH the store kept. */
static int code_diff(struct strbuf *out, const char *old_step, const char *old_sha,
		     const char *new_step, const char *path, void *payload)
{
	struct report *r = payload;
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, la = STRBUF_INIT, lb = STRBUF_INIT;
	char *fa = NULL, *fb = NULL;
	int ret = -1;

	if ((ret = provenance_step_code(&a, r->st, old_step, path)) < 0 ||
	    (ret = provenance_step_code(&b, r->st, new_step, path)) < 0 ||
	    (ret = temp_file(&fa, r, "old", a.buf, a.len)) < 0 ||
	    (ret = temp_file(&fb, r, "new", b.buf, b.len)) < 0)
		goto out;
	strbuf_addf(&la, "%s (%.8s, step %.8s)", path, old_sha, old_step);
	strbuf_addf(&lb, "%s (step %.8s)", path, new_step);
	{
		const char *argv[] = { "diff", "-u", "--label", la.buf, "--label",
				       lb.buf, fa,   fb,	NULL };
		/* diff exits 1 when the files differ. */
		ret = run_capture(out, argv, NULL, 3u);
	}
out:
	if (fa)
		unlink(fa);
	if (fb)
		unlink(fb);
	free(fa);
	free(fb);
	strbuf_release(&a);
	strbuf_release(&b);
	strbuf_release(&la);
	strbuf_release(&lb);
	return ret;
}

/*
 * Does a format summary describe a raster ("GTiff 111x111 Float32 ...")
 * of a driver that reads only the file itself?  A VRT, WMS or similar
 * would have GDAL open other files or the network for a picture.
 */
static int raster_summary(const char *s)
{
	/* Formats that name no other file (HFA spill files, PCIDSK
	 * linked channels, HDF5/netCDF external storage, ERS and ENVI
	 * headers do): a crafted raster must not have GDAL read the user's
	 * files into the page. */
	static const char *const local[] = { "GTiff",	"COG", "PNG",	  "JPEG", "GIF",  "BMP",
					     "AAIGrid", "GTX", "SRTMHGT", "GSBG", "GS7BG" };
	const char *sp = s ? strchr(s, ' ') : NULL;
	char *end;
	size_t i;
	int known = 0;

	if (!sp || strtol(sp + 1, &end, 10) <= 0 || *end != 'x')
		return 0;
	for (i = 0; i < ARRAY_SIZE(local); i++)
		known |= strlen(local[i]) == (size_t)(sp - s) && !strncmp(s, local[i], sp - s);
	return known && strtol(end + 1, &end, 10) > 0 && (*end == ' ' || !*end);
}

static void base64(struct strbuf *out, const unsigned char *s, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		strbuf_addch(out, tab[s[i] >> 2]);
		strbuf_addch(out, tab[((s[i] & 3) << 4) | (s[i + 1] >> 4)]);
		strbuf_addch(out, tab[((s[i + 1] & 15) << 2) | (s[i + 2] >> 6)]);
		strbuf_addch(out, tab[s[i + 2] & 63]);
	}
	if (n - i == 1) {
		strbuf_addch(out, tab[s[i] >> 2]);
		strbuf_addch(out, tab[(s[i] & 3) << 4]);
		strbuf_addstr(out, "==");
	} else if (n - i == 2) {
		strbuf_addch(out, tab[s[i] >> 2]);
		strbuf_addch(out, tab[((s[i] & 3) << 4) | (s[i + 1] >> 4)]);
		strbuf_addch(out, tab[(s[i + 1] & 15) << 2]);
		strbuf_addch(out, '=');
	}
}

/*
 * A PNG of band 1 of a raster output, 160 pixels wide, through GDAL's
 * PNG driver (gdal_translate to /vsistdout/): only when the file on disk
 * is still the version the record names (its SHA-256), so the picture is
 * of what the step made.  GDAL_PAM_ENABLED=NO: no .aux.xml is left
 * beside the project's file.
 */
#define REPORT_MAX_THUMBS 60
#define REPORT_THUMB_MAX_BYTES (256LL << 20)
static int thumbnail(struct strbuf *out, const json_t *file, void *payload)
{
	struct report *r = payload;
	const char *path = json_string_value(json_object_get(file, "path"));
	const char *sha = json_string_value(json_object_get(file, "sha256"));
	struct strbuf abs = STRBUF_INIT, png = STRBUF_INIT;
	char now[SHA256_HEX_LEN + 1];
	int ret = -1;

	/* A big raster would keep the page waiting: GDAL reads it all to scale it. */
	if (json_integer_value(json_object_get(file, "size")) > REPORT_THUMB_MAX_BYTES)
		return -1;
	if (!path || !sha || !raster_summary(json_string_value(json_object_get(file, "format"))) ||
	    r->thumbs >= REPORT_MAX_THUMBS || !shell_on_path("gdal_translate"))
		return -1;
	if (path[0] == '/')
		strbuf_addstr(&abs, path);
	else
		strbuf_addf(&abs, "%s/%s", provenance_store_root(r->st), path);
	if (util_sha256_file(now, NULL, abs.buf) == 0 && !strcmp(now, sha)) {
		const char *argv[] = { "gdal_translate",
				       "-q",
				       "-of",
				       "PNG",
				       "-b",
				       "1",
				       "-ot",
				       "Byte",
				       "-scale",
				       "-outsize",
				       "160",
				       "0",
				       abs.buf,
				       "/vsistdout/",
				       NULL };
		if (run_capture(&png, argv, "GDAL_PAM_ENABLED=NO", 1u) == 0 && png.len > 8 &&
		    !memcmp(png.buf, "\x89PNG", 4)) {
			strbuf_addstr(out, "data:image/png;base64,");
			base64(out, (const unsigned char *)png.buf, png.len);
			r->thumbs++;
			ret = 0;
		}
	}
	strbuf_release(&abs);
	strbuf_release(&png);
	return ret;
}

/* dot -Tsvg of the graph, with links to the page's sections. */
static int draw(char **out, const char **why, const struct report *r, const json_t *graph)
{
	struct strbuf dot = STRBUF_INIT, svg = STRBUF_INIT;
	char *f = NULL;
	int ret;

	*out = NULL;
	*why = NULL;
	if (json_array_size(json_object_get(graph, "steps")) > REPORT_GRAPH_MAX_STEPS) {
		*why = "The graph is not drawn: more than 400"
		       " steps; the steps and files are listed below.";
		return 0;
	}
	if (!shell_on_path("dot")) {
		*why = "The graph is not drawn: Graphviz's dot is not installed "
		       "(apt-get install graphviz).";
		return 0;
	}
	if ((ret = provenance_render_dot_flags(&dot, graph,
					       PROVENANCE_DOT_LINKS | PROVENANCE_DOT_SKIP_LONE |
						   PROVENANCE_DOT_TOP_DOWN)) < 0 ||
	    (ret = temp_file(&f, r, "graph.dot", dot.buf, dot.len)) < 0)
		goto out;
	{
		const char *argv[] = { "dot", "-Tsvg", f, NULL };
		if (run_capture(&svg, argv, NULL, 1u) < 0) {
			*why = "The graph is not drawn: dot -Tsvg failed.";
			goto out;
		}
	}
	*out = strbuf_detach(&svg, NULL);
out:
	if (f)
		unlink(f);
	free(f);
	strbuf_release(&dot);
	strbuf_release(&svg);
	return ret < 0 ? ret : 0;
}

static int cmd_report_exec(int argc, char **argv)
{
	const char *what = NULL, *outfile = NULL, *why = NULL;
	struct report r = { 0 };
	struct provenance_report_opts o = { 0 };
	struct strbuf html = STRBUF_INIT, tmp = STRBUF_INIT;
	json_t *graph = NULL, *steps = NULL;
	char *rel = NULL, *session = NULL, *svg = NULL;
	char id[PROV_ID_LEN + 1], sha[SHA256_HEX_LEN + 1];
	int i, ret, status = 0, as_session = 0, as_file = 0;

	if (cmd_wants_help(argc, argv)) {
		cmd_print_help(&cmd_report_entry);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			if (i + 1 >= argc)
				return shell_usage_error(&cmd_report_entry, "%s needs a file", a);
			outfile = argv[++i];
		} else if (!strncmp(a, "--output=", 9)) {
			outfile = a + 9;
		} else if (!strcmp(a, "--session")) {
			as_session = 1;
		} else if (!strcmp(a, "--file")) {
			as_file = 1;
		} else if (!strcmp(a, "--")) {
			if (i + 1 < argc && !what)
				what = argv[++i];
			if (i + 1 < argc)
				return shell_usage_error(
				    &cmd_report_entry, "one session or path: '%s' is one too many",
				    argv[i + 1]);
			break;
		} else if (a[0] == '-' && a[1]) {
			return shell_usage_error(&cmd_report_entry, "unknown option '%s'", a);
		} else if (what) {
			return shell_usage_error(&cmd_report_entry,
						 "one session or path: '%s' is one too many", a);
		} else {
			what = a;
		}
	}
	if (as_session && as_file)
		return shell_usage_error(&cmd_report_entry, "%s", "--session or --file, not both");
	if (as_file && !what)
		return shell_usage_error(&cmd_report_entry, "%s", "--file needs a PATH");
	if (outfile && !*outfile)
		return shell_usage_error(&cmd_report_entry, "%s", "-o needs a file name");

	if ((status = shell_store_open(&r.st, &cmd_report_entry)) != 0)
		goto out;

	/* A PATH some step wrote, unless --session; else a session. */
	if (what && !as_session) {
		if ((ret = provenance_relpath(&rel, r.st, what)) < 0)
			goto fail;
		ret = provenance_latest_writer(id, sha, r.st, rel);
		if (ret < 0 && ret != CAIRN_ENOTFOUND)
			goto fail;
		if (ret == 0 || as_file) {
			struct prov_source src = { store_get, store_writer, r.st };
			ret = provenance_lineage_walk(&graph, &src, rel, 0);
			if (ret == CAIRN_ENOTFOUND) {
				fprintf(stderr, "cairn report: %s\n", err_last());
				status = 1;
				goto out;
			}
			if (ret < 0)
				goto fail;
		}
	}
	if (!graph) {
		ret = provenance_session_steps(&steps, &session, r.st, what);
		if (ret == CAIRN_ENOTFOUND || ret == CAIRN_ECONFLICT || ret == CAIRN_EUSAGE) {
			if (what && !as_session)
				fprintf(
				    stderr,
				    "cairn report: '%s' is neither a file a recorded step wrote "
				    "nor a session: %s\n",
				    what, err_last());
			else
				fprintf(stderr, "cairn report: %s\n", err_last());
			status = 1;
			goto out;
		}
		if (ret < 0 || (ret = provenance_session_graph(&graph, steps, session)) < 0)
			goto fail;
	}

	/* A private directory for dot's input and the code versions diffed. */
	strbuf_addf(&tmp, "%s/cairn-report-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmp.buf)) {
		ret = err_errno(CAIRN_ERROR, "cannot make a directory in %s", tmp.buf);
		goto fail;
	}
	r.tmpdir = tmp.buf;
	ret = draw(&svg, &why, &r, graph);
	if (ret < 0)
		goto fail;
	o.svg = svg;
	o.svg_note = why;
	o.code_diff = code_diff;
	o.code_before = code_before;
	o.thumbnail = thumbnail;
	o.payload = &r;
	if ((ret = provenance_render_html(&html, graph, &o)) < 0)
		goto fail;

	if (outfile) {
		int fd = open(outfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0) {
			ret = err_errno(CAIRN_ERROR, "cannot write %s", outfile);
			goto fail;
		}
		ret = util_write_all(fd, html.buf, html.len);
		if (close(fd) < 0 && ret == 0)
			ret = err_errno(CAIRN_ERROR, "cannot write %s", outfile);
		if (ret < 0)
			goto fail;
		if (!shell_opts.quiet)
			fprintf(stderr, "cairn report: wrote %s (%zu bytes)\n", outfile, html.len);
	} else if (util_write_all(1, html.buf, html.len) < 0) {
		goto fail;
	}
	goto out;

fail:
	fprintf(stderr, "cairn report: %s\n", err_last());
	status = 125;
out:
	if (r.tmpdir)
		rmdir(r.tmpdir);
	json_decref(graph);
	json_decref(steps);
	if (r.st)
		provenance_store_free(r.st);
	strbuf_release(&html);
	strbuf_release(&tmp);
	free(rel);
	free(session);
	free(svg);
	return status;
}

const struct cmd_entry cmd_report_entry = {
	.name = "report",
	.usage = "cairn report [SESSION|PATH] [--session|--file] [-o FILE.html]",
	.summary = "Write a session or a file's lineage as one self-contained HTML page.",
	.help = "With PATH, a file some recorded step wrote: its lineage (as cairn lineage\n"
		"walks it).  With SESSION (an id, a unique prefix of one, or @N: the\n"
		"session of the N-th most recent step), or nothing (the newest step's\n"
		"session): that session's steps.  A name that is both is taken as a PATH\n"
		"unless --session is given.\n\n"
		"The page holds the graph (inline SVG drawn by Graphviz's dot; click a\n"
		"step or a file), each step's command, times, resources, cache hit and\n"
		"time saved, program, code versions (with a diff when a code file changed\n"
		"between steps on the page), inputs and outputs with their formats (and a\n"
		"thumbnail of raster outputs, made by GDAL's gdal_translate), and the\n"
		"files.  It loads nothing from the network and works from file://.\n\n"
		"  -o, --output FILE   write the page to FILE (default: standard output)\n"
		"  --session           take the argument as a session\n"
		"  --file              take the argument as a PATH\n\n"
		"Exit status: 0; 1 when there is no such file or session; 2 for usage\n"
		"errors; 125 when the store cannot be read.  See docs/report.md.\n",
	.exec = cmd_report_exec,
};
