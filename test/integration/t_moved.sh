# ctest-labels: slow
# The project copied to another directory, or run by another user with
# another $HOME, is served from the cache (docs/cache.md, "The project
# elsewhere"): keys name the project's directory as a token and leave
# HOME out.  A step that learns where it runs (pwd, $PWD, getcwd() in a
# program, a shell it starts, `..` out of the project, a link or a file
# naming the directory) runs again.  Each run is compared with bash run
# in a fresh copy at the same place.
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
chmod 755 "$W"
trap '[ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
cd "$W" || exit 1
mkdir -p a/proj/data a/proj/bin a/proj/.cairn b c/deep
printf 'pear\napple\nfig\n' >a/proj/data/a.txt
echo "sibling of a" >a/sibling.txt
echo "sibling of b" >b/sibling.txt
printf 'print(open("data/a.txt").read().upper(), end="")\n' >a/proj/bin/w.py
printf 'print(open("../proj/data/a.txt").read(), end="")\n' >a/proj/bin/climb.py
printf 'basename "$PWD"\n' >a/proj/bin/where.sh
echo "$W/a/proj/data/a.txt" >a/proj/cfg
ln -s "$W/a/proj/data/a.txt" a/proj/link-in
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
/usr/bin/python3 bin/w.py > w.txt
/usr/bin/python3 -c 'import os; print(os.getcwd().upper())' > up.txt
sh bin/where.sh > sh.txt
/usr/bin/python3 bin/climb.py > climb.txt
xargs cat < cfg > cfg.txt
cat link-in > link.txt
gdal_translate -q -of AAIGrid /usr/share/proj/egm96_15.gtx g.asc
echo done
EOS
files="sorted.txt sub/n.txt where.txt sub/sib.txt w.txt up.txt climb.txt cfg.txt link.txt g.asc"
cp -a a/proj pristine

bash_ref() { # DIR: bash's run of a fresh copy of the project at DIR
	rm -rf "$1"
	cp -a pristine "$1"
	(cd "$1" && bash p.sh >../ref.out 2>../ref.err)
}
check() { # WHAT DIR: the copy's files and output as bash's at DIR
	local d=$2 f
	expect_eq "$1: stdout" "$(cat "$(dirname "$d")/ref.out")" "$(cat "$d/out")"
	for f in $files; do
		expect_eq "$1: $f" "$(cat "$d.ref/$f" 2>&1 | sed "s|$d.ref|$d|;s|${d^^}.REF|${d^^}|")" \
			"$(cat "$d/$f" 2>&1)"
	done
	expect_eq "$1: abs-link" "$d/sorted.txt" "$(readlink "$d/abs-link")"
	expect_eq "$1: sh.txt" "$(basename "$d")" "$(cat "$d/sh.txt")"
}

(cd a/proj && "$CAIRN" run p.sh >out 2>err </dev/null)
expect_eq "first run" "r r r r r r r r r r r r r r r r r r" "$(cd a/proj && pattern 18)"

# 1. Copied beside it, and the original's data changed since: served
# but for the steps that learn or name the place (pwd, $PWD, `..`,
# getcwd -- Python asks as it starts a script --, a shell reading PWD, a
# file or a link naming the directory);
# bin/climb.py reads ../proj/data: the original's, as under bash.
cp -a a/proj a/copy
echo "changed in the original" >a/proj/data/a.txt
bash_ref a/copy.ref
(cd a/copy && "$CAIRN" run p.sh >out 2>err </dev/null)
expect_eq "copy beside" "c c c r r r r r c r r r r r r r c c" "$(cd a/copy && pattern 18)"
check "copy beside" "$W/a/copy"
expect_eq "copy beside: climb.py read the original" "changed in the original" \
	"$(cat a/copy/climb.txt)"
expect_eq "copy beside: xargs cat read the original" "changed in the original" \
	"$(cat a/copy/cfg.txt)"
expect_eq "copy beside: the link leads to the original" "changed in the original" \
	"$(cat a/copy/link.txt)"
(cd a/copy && "$CAIRN" why @7 >why.txt)
expect_match "why of the python getcwd step" "learnt where it ran" "$(cat a/copy/why.txt)"
(cd a/copy && "$CAIRN" why @6 >why.txt)
expect_match "why of the sh step" "learnt where it ran" "$(cat a/copy/why.txt)"
(cd a/copy && "$CAIRN" why @4 >why.txt)
expect_match "why of the cfg step" "a file it read names the project's directory" \
	"$(cat a/copy/why.txt)"
(cd a/copy && "$CAIRN" why @3 >why.txt)
expect_match "why of the link step" "link it followed" "$(cat a/copy/why.txt)"
(cd a/copy && "$CAIRN" show @2 --json >show.json)
expect_eq "the cached gdal_translate step names its source" "cached" \
	"$(python3 -c 'import json,sys; print("cached" if json.load(open(sys.argv[1]))["cached"] else "ran")' a/copy/show.json)"

# Put the original back for the copies below.
printf 'pear\napple\nfig\n' >a/proj/data/a.txt

# 2. Elsewhere, where ../../sibling.txt is another file.
cp -a a/proj b/proj
bash_ref b/proj.ref
(cd b/proj && "$CAIRN" run p.sh >out 2>err </dev/null)
check "elsewhere" "$W/b/proj"
expect_eq "elsewhere: the sibling read is b's" "sibling of b" "$(cat b/proj/sub/sib.txt)"

# 3. Deeper elsewhere: ../../sibling.txt is absent; the step fails as
# under bash.
cp -a a/proj c/deep/proj
bash_ref c/deep/proj.ref
(cd c/deep/proj && "$CAIRN" run p.sh >out 2>err </dev/null)
expect_eq "deeper: as bash" "$(cat c/deep/ref.out)" "$(cat c/deep/proj/out)"

# 4. Moved away: the original is gone, what named it fails as under bash.
cp -a a/proj a/tomove
mv a/tomove a/moved
bash_ref a/moved.ref
(cd a/moved && "$CAIRN" run p.sh >out 2>err </dev/null)
expect_eq "moved: as bash" "$(cat a/ref.out)" "$(cat a/moved/out)"
expect_eq "moved: gdal_translate is served" "c" "$(cd a/moved && pattern 2 | cut -d' ' -f1)"

# 5. The command names the project's directory: its key keeps it, and
# the copy reads what the command says.
printf 'cat %s/data/a.txt > x.txt\n' "$W/a/proj" >a/proj/abs.sh
(cd a/proj && "$CAIRN" run abs.sh </dev/null)
cp -a a/proj a/copy2
echo "changed in the first" >a/proj/data/a.txt
(cd a/copy2 && "$CAIRN" run abs.sh </dev/null)
expect_eq "absolute path in the command" "r" "$(cd a/copy2 && pattern 1)"
expect_eq "it read what the command names" "changed in the first" "$(cat a/copy2/x.txt)"
printf 'pear\napple\nfig\n' >a/proj/data/a.txt

# 6. Another user (nobody), with a $HOME of its own, runs a copy: who
# runs a step is in its key (what it may read, what `id` says), so every
# step runs, and prints what bash prints.
if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null &&
	runuser -u nobody -- test -x "$CAIRN" 2>/dev/null; then
	printf 'cat data/a.txt > plain.txt\nid -un\n[ -r /etc/shadow ] && echo readable || echo not-readable\necho ~ > home.txt\n' \
		>a/proj/u.sh
	(cd a/proj && HOME=$W/roothome SHELL=/bin/bash USER=root LOGNAME=root \
		"$CAIRN" run u.sh >u.out 2>u.err </dev/null)
	mkdir -p n nhome
	cp -a a/proj n/proj
	cp -a a/proj n/ref
	rm -rf n/ref/.cairn
	chown -R nobody:nogroup n nhome
	(cd n/proj && runuser -u nobody -- env HOME="$W/nhome" "$CAIRN" run u.sh >out 2>err </dev/null)
	expect_eq "nobody: every step runs" "r r r r" \
		"$(cd n/proj && runuser -u nobody -- env HOME="$W/nhome" "$CAIRN" log --json -n 4 |
			python3 -c 'import json,sys; print(" ".join("c" if s["cached"] else "r" for s in reversed(json.load(sys.stdin))))')"
	(cd n/ref && runuser -u nobody -- env HOME="$W/nhome" bash u.sh >out 2>err </dev/null)
	expect_eq "nobody: as bash" "$(cat n/ref/out)" "$(cat n/proj/out)"
	expect_eq "nobody: its own home" "$W/nhome" "$(cat n/proj/home.txt)"
else
	echo "t_moved: a copy run by another user not checked: needs root, runuser and a cairn nobody can run" >&2
fi

done_testing
