/*
 * fixture.h - an in-memory prov_source over the step records in a
 * directory (test/data/lineage/, one JSON file each), shared by the unit tests and
 * lineage_render_fixture.
 */
#ifndef CAIRN_TEST_LINEAGE_FIXTURE_H
#define CAIRN_TEST_LINEAGE_FIXTURE_H

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "provenance-lineage.h"

struct fixture {
	json_t *records; /* {id: record} */
	json_t *writers; /* {path: {"step", "sha256", "finished"}}: newest writer */
	json_t *hidden; /* {id: true}: get() says CAIRN_ENOTFOUND */
	int fail_get; /* get() fails with -1 */
	int calls; /* get() calls */
	struct prov_source src;
};

static int fixture_get(json_t **out, const char *id, void *payload)
{
	struct fixture *fx = payload;
	json_t *r = json_object_get(fx->records, id);

	fx->calls++;
	if (fx->fail_get)
		return err_set(CAIRN_ERROR, "fixture: the store is broken");
	if (!r || json_object_get(fx->hidden, id))
		return err_set(CAIRN_ENOTFOUND, "no step %s", id);
	*out = json_deep_copy(r);
	return 0;
}

static int fixture_writer(char out_id[33], char out_sha[65], const char *path, void *payload)
{
	struct fixture *fx = payload;
	json_t *w = json_object_get(fx->writers, path);
	const char *sha;

	if (!w)
		return err_set(CAIRN_ENOTFOUND, "nothing wrote %s", path);
	snprintf(out_id, 33, "%s", json_string_value(json_object_get(w, "step")));
	sha = json_string_value(json_object_get(w, "sha256"));
	snprintf(out_sha, 65, "%s", sha ? sha : "");
	return 0;
}

/* Add RECORD (a new reference is taken) and its writes. */
static void fixture_add(struct fixture *fx, json_t *record)
{
	const char *id = json_string_value(json_object_get(record, "id"));
	const char *fin = json_string_value(json_object_get(record, "finished"));
	json_t *w;
	size_t i;

	json_object_set(fx->records, id, record);
	json_array_foreach(json_object_get(record, "writes"), i, w)
	{
		const char *path = json_string_value(json_object_get(w, "path"));
		json_t *old = json_object_get(fx->writers, path);
		const char *ofin = json_string_value(json_object_get(old, "finished"));
		if (old && ofin && fin && strcmp(ofin, fin) > 0)
			continue;
		json_object_set_new(fx->writers, path,
				    json_pack("{s:s, s:O, s:s}", "step", id, "sha256",
					      json_object_get(w, "sha256"), "finished",
					      fin ? fin : ""));
	}
}

/* Load every *.json in DIR as a record.  0 or -1. */
static int fixture_load(struct fixture *fx, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	memset(fx, 0, sizeof(*fx));
	fx->records = json_object();
	fx->writers = json_object();
	fx->hidden = json_object();
	fx->src.get = fixture_get;
	fx->src.writer = fixture_writer;
	fx->src.payload = fx;
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		char *path;
		json_t *r;
		if (n < 6 || strcmp(de->d_name + n - 5, ".json"))
			continue;
		path = xstrfmt("%s/%s", dir, de->d_name);
		r = json_load_file(path, 0, NULL);
		free(path);
		if (!r) {
			closedir(d);
			return -1;
		}
		fixture_add(fx, r);
		json_decref(r);
	}
	closedir(d);
	return 0;
}

static void fixture_release(struct fixture *fx)
{
	json_decref(fx->records);
	json_decref(fx->writers);
	json_decref(fx->hidden);
}

#endif
