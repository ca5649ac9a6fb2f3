/*
 * lineage_render_fixture DIR PATH FORMAT [DEPTH]: render the lineage of
 * PATH over the records in DIR, for the checks that need outside tools
 * (dot, python3-prov) before the store is there to drive `cairn lineage`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

int main(int argc, char **argv)
{
	struct fixture fx;
	struct strbuf out = STRBUF_INIT;
	json_t *g = NULL;
	int ret;

	if (argc < 4) {
		fprintf(stderr, "usage: lineage_render_fixture DIR PATH FORMAT [DEPTH]\n");
		return 2;
	}
	if (fixture_load(&fx, argv[1]) < 0) {
		fprintf(stderr, "cannot load %s\n", argv[1]);
		return 1;
	}
	ret = provenance_lineage_walk(&g, &fx.src, argv[2], argc > 4 ? atoi(argv[4]) : 0);
	if (ret == 0) {
		if (!strcmp(argv[3], "tree"))
			ret = provenance_render_tree(&out, g, 0);
		else if (!strcmp(argv[3], "tree-utf8"))
			ret = provenance_render_tree(&out, g, PROVENANCE_TREE_UTF8);
		else if (!strcmp(argv[3], "dot"))
			ret = provenance_render_dot(&out, g);
		else if (!strcmp(argv[3], "json"))
			ret = provenance_render_json(&out, g);
		else if (!strcmp(argv[3], "prov-json"))
			ret = provenance_render_prov(&out, g);
		else if (!strcmp(argv[3], "ro-crate"))
			ret = provenance_render_rocrate(&out, g);
		else
			ret = err_set(CAIRN_ERROR, "unknown format %s", argv[3]);
	}
	if (ret < 0)
		fprintf(stderr, "lineage_render_fixture: %s\n", err_last());
	else
		fwrite(out.buf, 1, out.len, stdout);
	json_decref(g);
	strbuf_release(&out);
	fixture_release(&fx);
	return ret < 0 ? 1 : 0;
}
