/*
 * hash-run.c - hash files the way cairn does (libcrypto SHA-256 through
 * util_sha256_file), for bench/cache.sh's cold-hashing comparison with
 * sha256sum and openssl.
 *
 *   hash-run FILE...    prints "SHA256  FILE" per file, as sha256sum does
 */
#include <stdio.h>

#include "util.h"

int main(int argc, char **argv)
{
	char sha[SHA256_HEX_LEN + 1];
	uint64_t size;
	int i, ret = 0;

	for (i = 1; i < argc; i++) {
		if (util_sha256_file(sha, &size, argv[i]) < 0) {
			fprintf(stderr, "hash-run: %s\n", err_last());
			ret = 1;
			continue;
		}
		printf("%s  %s\n", sha, argv[i]);
	}
	return ret;
}
