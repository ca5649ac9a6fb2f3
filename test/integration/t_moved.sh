# ctest-labels: slow
# The project copied to another directory (with its store) runs its
# steps again (docs/cache.md: keys are not yet relocatable), and prints
# and leaves what bash does in a fresh copy: nothing the original
# computed is served for the copy's paths (a hostile review found stale
# hits with a relocating key: outputs derived from the path, links and
# paths reaching the project from outside).
. "$TEST_SRC/test/integration/lib.sh"

pattern() {
	"$CAIRN" log --json -n "$1" | python3 -c '
import json, sys
print(" ".join("c" if s["cached"] else "r" for s in reversed(json.load(sys.stdin))))'
}

# Outside /tmp, whose files steps do not see beside the project (the
# session has a /tmp of its own).  Each copy is a project of its own,
# with its store (copied along).
W=$(mktemp -d /var/tmp/cairn-moved.XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 1
mkdir -p a/proj/data a/proj/.cairn b c/deep
printf 'pear\napple\nfig\n' >a/proj/data/a.txt
echo "sibling of a" >a/sibling.txt
echo "sibling of b" >b/sibling.txt
cat >a/proj/p.sh <<'EOS'
sort data/a.txt > sorted.txt
mkdir -p sub
cd sub
wc -l < ../sorted.txt > n.txt
pwd > ../where.txt
echo "at $(basename "$PWD")"
cat ../../sibling.txt > sib.txt
cd ..
tr a-z A-Z < sorted.txt
ln -sf "$PWD/sorted.txt" abs-link
EOS
cp -a a/proj pristine

bash_ref() { # DIR: bash's run of a fresh copy of the project at DIR
	rm -rf "$1"
	cp -a pristine "$1"
	(cd "$1" && bash p.sh >../ref.out 2>../ref.err)
}
check() { # WHAT DIR
	local d=$2
	expect_eq "$1: stdout" "$(cat "$(dirname "$d")/ref.out")" "$(cat "$d/out")"
	for f in sorted.txt sub/n.txt where.txt sub/sib.txt; do
		expect_eq "$1: $f" "$(cat "$d.ref/$f" 2>&1 | sed "s|$d.ref|$d|")" "$(cat "$d/$f" 2>&1)"
	done
	expect_eq "$1: abs-link" "$d/sorted.txt" "$(readlink "$d/abs-link")"
}

(cd a/proj && "$CAIRN" run p.sh >out 2>err </dev/null)
expect_eq "first run" "r r r r r r r r r r" "$(cd a/proj && pattern 10)"

# 1. Copied beside it (a relative path out of the project leads to the
# same place): served but for the steps that name the directory.
cp -a a/proj a/copy
bash_ref a/copy.ref
(cd a/copy && "$CAIRN" run p.sh >out 2>err </dev/null)
expect_eq "copy beside: every step runs" \
	"r r r r r r r r r r" "$(cd a/copy && pattern 10)"
check "copy beside" "$W/a/copy"

# 2. Elsewhere, where ../../sibling.txt is another file: that step runs
# and reads it.
cp -a a/proj b/proj
bash_ref b/proj.ref
(cd b/proj && "$CAIRN" run p.sh >out 2>err </dev/null)
expect_eq "elsewhere: every step runs" \
	"r r r r r r r r r r" "$(cd b/proj && pattern 10)"
check "elsewhere" "$W/b/proj"
expect_eq "elsewhere: the sibling read is b's" "sibling of b" "$(cat b/proj/sub/sib.txt)"

# 3. Deeper elsewhere: ../../sibling.txt is absent; the step fails as
# under bash.
cp -a a/proj c/deep/proj
bash_ref c/deep/proj.ref
(cd c/deep/proj && "$CAIRN" run p.sh >out 2>err </dev/null)
expect_eq "deeper: as bash" "$(cat c/deep/ref.out)" "$(cat c/deep/proj/out)"

# 4. The command names the project's directory: its key keeps it, and
# the copy reads what the command says.
printf 'cat %s/data/a.txt > x.txt\n' "$W/a/proj" >a/proj/abs.sh
(cd a/proj && "$CAIRN" run abs.sh </dev/null)
cp -a a/proj a/copy2
echo "changed in the first" >a/proj/data/a.txt
(cd a/copy2 && "$CAIRN" run abs.sh </dev/null)
expect_eq "absolute path in the command" "r" "$(cd a/copy2 && pattern 1)"
expect_eq "it read what the command names" "changed in the first" "$(cat a/copy2/x.txt)"

done_testing
