#!/bin/bash
# cache.maxOutput caps what is stored of a step's standard output and
# error: past it the stream still goes where it goes, whole, but is not
# stored and the step is not cached; the record and `cairn why` say so
# (#16: 2 GiB of output went whole into the store).
. "$TEST_SRC/test/integration/lib.sh"

git config --file .cairn/config cache.maxOutput 1k

phase "through a pipe"
got=$("$CAIRN" -c 'head -c 5000 /dev/zero | tr "\0" a' </dev/null | wc -c)
expect_eq "the output went on whole" 5000 "$got"
expect_eq "stdout not stored" "None" "$(rec @1 'r["stdout_sha256"]')"
expect_eq "the record says how much it carried" 5000 "$(rec @1 'r["output_not_stored"]["stdout"]')"
expect_eq "no 5000-byte object in the store" "" \
	"$(find .cairn/cas -type f -size 5000c)"
run_cairn why @1
expect_match "why says why it was not cached" \
	"not cached: its standard output \(5000 bytes\) was larger than cache.maxOutput \(1024 bytes\)" "$OUT"
"$CAIRN" -c 'head -c 5000 /dev/zero | tr "\0" a' </dev/null >/dev/null
expect_eq "not served from the cache" "False" "$(rec @1 'r["cached"]')"

phase "into a file, and standard error"
"$CAIRN" -c 'head -c 3000 /dev/zero | tr "\0" b; head -c 2000 /dev/zero | tr "\0" c >&2' \
	</dev/null >out.txt 2>err.txt
expect_eq "the file got it all" "3000 2000" "$(wc -c <out.txt) $(wc -c <err.txt)"
expect_eq "both not stored" "3000 2000 None None" \
	"$(rec @1 '"%d %d %s %s" % (r["output_not_stored"]["stdout"], r["output_not_stored"]["stderr"], r["stdout_sha256"], r["stderr_sha256"])')"

phase "under the cap"
"$CAIRN" -c 'echo small' </dev/null >/dev/null
"$CAIRN" -c 'echo small' </dev/null >/dev/null
expect_eq "a small output is stored and cached" "True False" \
	"$(rec @1 'str(r["cached"]) + " " + str("output_not_stored" in r)')"

phase "a bad value"
git config --file .cairn/config cache.maxOutput 1x
run_cairn -c true
expect_eq "refused" 125 "$RC"
expect_match "says which setting" "cache.maxOutput: 1x: not a size" "$ERR"

done_testing
