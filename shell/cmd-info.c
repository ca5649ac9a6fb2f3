/*
 * cmd-info.c - `cairn info FILE`: what a raster, vector, NetCDF or HDF5
 * file holds, read through formats/ (metadata only unless --stats).
 */
#include "shell-int.h"

#include "formats.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static int cmd_info_exec(int argc, char **argv)
{
	const char *path = NULL;
	unsigned flags = 0;
	json_t *info = NULL;
	char fp[SHA256_HEX_LEN + 1];
	int json = 0, fingerprint = 0, remote = 0, i, ret;

	if (cmd_wants_help(argc, argv)) {
		cmd_print_help(&cmd_info_entry);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "--stats"))
			flags |= FORMATS_STATS;
		else if (!strcmp(argv[i], "--fingerprint"))
			fingerprint = 1;
		else if (!strcmp(argv[i], "--remote"))
			remote = 1;
		else if (!strcmp(argv[i], "--") && i + 1 < argc && !path)
			path = argv[++i];
		else if (argv[i][0] == '-' && argv[i][1])
			return shell_usage_error(&cmd_info_entry, "unknown option '%s'", argv[i]);
		else if (path)
			return shell_usage_error(&cmd_info_entry, "more than one file given");
		else
			path = argv[i];
	}
	if (!path)
		return shell_usage_error(&cmd_info_entry, "no file given");
	if (remote) {
		/* The validators a cache compares: what the server says now. */
		if ((ret = formats_remote_validators(&info, path)) < 0) {
			fprintf(stderr, "cairn info: %s\n", err_last());
			return 1;
		}
		if (json) {
			util_json_dumpf(info, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			putchar('\n');
		} else {
			const char *k;
			json_t *v;
			json_object_foreach(info, k, v)
			{
				char *t = util_json_dumps(v, JSON_ENCODE_ANY);
				printf("%-14s %s\n", k, t ? t : "?");
				free(t);
			}
		}
		json_decref(info);
		return 0;
	}
	if ((ret = formats_info(&info, path, NULL, flags)) < 0) {
		fprintf(stderr, "cairn info: %s\n", err_last());
		return 1;
	}
	if (fingerprint) {
		if ((ret = formats_fingerprint(fp, path, NULL)) < 0) {
			fprintf(stderr, "cairn info: %s\n", err_last());
			json_decref(info);
			return 1;
		}
		json_object_set_new(info, "fingerprint", json_string(fp));
	}
	if (json) {
		json_object_set_new(info, "path", json_string(path));
		util_json_dumpf(info, stdout,
				JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
		putchar('\n');
	} else {
		printf("%-10s %s\n", "path", path);
		formats_info_print(stdout, info);
		if (fingerprint)
			printf("%-10s %s\n", "fingerprint", fp);
	}
	json_decref(info);
	return 0;
}

const struct cmd_entry cmd_info_entry = {
	.name = "info",
	.usage = "cairn info FILE [--json] [--stats] [--fingerprint]\n"
		 "       cairn info --remote /vsicurl/URL [--json]",
	.summary = "Describe a raster, vector, NetCDF or HDF5 file.",
	.help = "Prints the driver, size, bands (data type, nodata), CRS (as an EPSG code\n"
		"where one fits), geotransform, vector layers, subdatasets; for HDF5 files\n"
		"the groups, datasets (shape, type, chunks, filters), attributes, soft and\n"
		"external links.  Only metadata is read.  See docs/formats.md.\n\n"
		"Options:\n"
		"  --json    one JSON document on standard output\n"
		"  --stats   read every value for per-band min, max, mean, std\n"
		"  --fingerprint  read every value for the semantic fingerprint (SHA-256\n"
		"            of values, georeferencing and attributes)\n"
		"  --remote  FILE is a remote dataset (/vsicurl/, /vsis3/, ...): print the\n"
		"            HTTP validators the server gives now (ETag, Last-Modified, size)\n\n"
		"Exit status: 0; 1 when FILE is missing, damaged or in no known format;\n"
		"2 for usage errors.\n",
	.exec = cmd_info_exec,
};
