#!/bin/bash
# ctest-labels: slow
# A step 2000 directories deep: what it read and wrote there, through
# symlinks made before it and by it, as its record shows; the same step
# again is served from the cache.  (Deep directories once crashed cairn
# after the step, while it walked the step's writes, and made tracing
# cost the cube of the depth: bench/deep.sh measures that, tests never
# assert timings.)
. "$TEST_SRC/test/integration/lib.sh"

# A path the kernel takes is at most PATH_MAX (4096) bytes, the upper
# directory's names of the step's writes included (.cairn/tmp/SESSION/
# p/u/deep/...): a test directory with a long name gets a shorter chain.
D=2000
room=$(((4096 - ${#T_DIR} - 80) / 2))
[ "$D" -le "$room" ] || D=$room

phase "making a chain of $D directories"
python3 - "$D" <<'PY'
import os, sys
fd = os.open(".", os.O_RDONLY | os.O_DIRECTORY)
for i, name in enumerate(["deep"] + ["d"] * int(sys.argv[1])):
    os.mkdir(name, dir_fd=fd)
    nfd = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
    os.close(fd)
    fd = nfd
    if i == int(sys.argv[1]) - 1:
        with open(os.open("in2.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as f:
            f.write("two\n")
with open(os.open("in.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as f:
    f.write("deep data\n")
os.symlink("../in2.txt", "up", dir_fd=fd)
for name, text in (("A", "from A\n"), ("B", "from B\n")):
    os.mkdir(name, dir_fd=fd)
    with open(os.open(name + "/in", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as f:
        f.write(text)
PY
rel=deep$(printf '/d%.0s' $(seq "$D"))
parent=${rel%/d}
sha() { printf '%s' "$1" | sha256sum | cut -c1-64; }

phase "the step at depth $D"
run_cairn -c "cd $rel; touch a; cat in.txt up > /dev/null; ln -s in.txt l; cat l > b; ls > /dev/null"
expect_eq "status" 0 "$RC"
expect_eq "stderr" "" "$ERR"
expect_eq "written: the file touched" file "$(rec @1 "writes()['$rel/a']['kind']")"
expect_eq "written: the copy, through the step's own link" "$(sha 'deep data
')" "$(rec @1 "writes()['$rel/b']['sha256']")"
expect_eq "written: the link" "symlink in.txt" \
	"$(rec @1 "writes()['$rel/l']['kind'] + ' ' + writes()['$rel/l']['target']")"
expect_eq "read: the file" "file $(sha 'deep data
')" "$(rec @1 "reads()['$rel/in.txt']['kind'] + ' ' + reads()['$rel/in.txt']['sha256']")"
expect_eq "read: the link met" "symlink ../in2.txt" \
	"$(rec @1 "reads()['$rel/up']['kind'] + ' ' + reads()['$rel/up']['target']")"
expect_eq "read: what it leads to, a level up" "file $(sha 'two
')" "$(rec @1 "reads()['$parent/in2.txt']['kind'] + ' ' + reads()['$parent/in2.txt']['sha256']")"
expect_eq "read: the listing" "dir" "$(rec @1 "reads()['$rel']['kind']")"
expect_eq "touched: found absent first" absent "$(rec @1 "reads()['$rel/a']['kind']")"
expect_eq "the step's own outputs are no reads" "False False" \
	"$(rec @1 "' '.join(str(p in reads()) for p in ['$rel/b', '$rel/l'])")"
expect_eq "nothing below the chain but what it holds" "[]" \
	"$(rec @1 "sorted(p for p in reads() if p.startswith('deep') and p.rsplit('/', 1)[-1] not in ('d', 'deep', 'in.txt', 'up', 'in2.txt', 'a'))")"
expect_eq "nothing lost" 0 "$(rec @1 "r['sandbox']['lost_events']")"
expect_eq "committed" "deep data" "$(cd "$rel" && cat b)"

phase "renames and links at depth $D"
# A lookup through A before and after A is moved away and made a link
# to B: what the step's view resolved to before the move may not be
# used after it.
run_cairn -c "cd $rel; touch A/new; cat A/in > /dev/null; mv A C; ln -s B A; cat A/in > out"
expect_eq "status" 0 "$RC"
expect_eq "read before the move: A's" "file $(sha 'from A
')" "$(rec @1 "reads()['$rel/A/in']['kind'] + ' ' + reads()['$rel/A/in']['sha256']")"
expect_eq "read after it: through the new link, B's" "file $(sha 'from B
')" "$(rec @1 "reads()['$rel/B/in']['kind'] + ' ' + reads()['$rel/B/in']['sha256']")"
expect_eq "the output" "from B" "$(cd "$rel" && cat out)"

phase "a read-only step at depth $D, twice"
run_cairn -c "cd $rel; cat in.txt up"
expect_eq "first run" "0 False" "$RC $(rec @1 "r['cached']")"
run_cairn -c "cd $rel; cat in.txt up"
expect_eq "second run: from the cache" "0 True" "$RC $(rec @1 "r['cached']")"
expect_eq "its output" "deep data
two" "$OUT"
done_testing
