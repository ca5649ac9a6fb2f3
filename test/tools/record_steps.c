/*
 * record_steps ROOT RECORD.json...: record step records in the store of
 * project ROOT (created when missing), in the order given, through
 * provenance_record_step() -- so that tests of the queries can build a
 * store of known steps without running a traced pipeline.
 */
#include <stdio.h>

#include "provenance.h"

int main(int argc, char **argv)
{
	struct prov_store *st = NULL;
	int i, ret;

	if (argc < 2) {
		fprintf(stderr, "usage: record_steps ROOT [RECORD.json...]\n");
		return 2;
	}
	if (provenance_store_open(&st, argv[1], 1) < 0) {
		fprintf(stderr, "record_steps: %s\n", err_last());
		return 1;
	}
	for (i = 2; i < argc; i++) {
		json_error_t jerr;
		json_t *rec = json_load_file(argv[i], 0, &jerr);
		if (!rec) {
			fprintf(stderr, "record_steps: %s:%d: %s\n", argv[i], jerr.line, jerr.text);
			provenance_store_free(st);
			return 1;
		}
		ret = provenance_record_step(st, rec);
		json_decref(rec);
		if (ret < 0) {
			fprintf(stderr, "record_steps: %s: %s\n", argv[i], err_last());
			provenance_store_free(st);
			return 1;
		}
	}
	provenance_store_free(st);
	return 0;
}
