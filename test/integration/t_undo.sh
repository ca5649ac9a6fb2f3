# cairn undo (docs/history.md): each kind of change put back (a file
# modified, created, deleted), a refused undo (the user edited the file
# since), a version whose bytes were never stored, undo of an undo,
# -n N and STEP, --dry-run changes nothing.
. "${TEST_SRC:?}/test/integration/lib.sh" || exit 1

state() { # the project's files and their contents, one line each
	for f in $(ls | sort); do printf '%s=%s ' "$f" "$(cat "$f")"; done
}

"$CAIRN" -c 'echo one > a.txt; echo keep > k.txt' || fail "first step"
S0=$(state)

phase "modified"
"$CAIRN" -c 'echo two > a.txt' || fail "modify step"
expect_eq "modified" "two" "$(cat a.txt)"
run_cairn undo --dry-run
expect_eq "dry-run status" 0 "$RC"
expect_match "dry-run says" "would restore a.txt" "$OUT"
expect_eq "dry-run changes nothing" "two" "$(cat a.txt)"
expect_eq "dry-run records nothing" "echo two > a.txt" "$(rec @1 'r["command"]')"
run_cairn undo
expect_eq "undo status" 0 "$RC"
expect_eq "modified file back" "$S0" "$(state)"
expect_eq "undo recorded" "cairn undo" "$(rec @1 'r["command"]')"
expect_eq "undo record writes" "[('a.txt', 'file')]" \
	"$(rec @1 '[(w["path"], w["kind"]) for w in r["writes"]]')"
expect_match "log shows the undo" "cairn undo" "$("$CAIRN" log -n 1)"
expect_match "lineage: the version put back comes from the step that wrote it" \
	"cairn undo.*a\.txt.*echo one > a\.txt; echo keep > k\.txt" "$(echo $("$CAIRN" lineage a.txt))"

phase "undo of the undo"
run_cairn undo
expect_eq "undo of undo status" 0 "$RC"
expect_eq "undo of undo" "two" "$(cat a.txt)"
run_cairn undo
expect_eq "and back again" "one" "$(cat a.txt)"

phase "created"
"$CAIRN" -c 'echo new > n.txt; mkdir -p d/e; echo x > d/e/f.txt' || fail "create step"
run_cairn undo
expect_eq "created undo status" 0 "$RC"
expect_eq "created files and directories removed" "$S0" "$(state)"
[ -e d ] && fail "directory d left behind"
run_cairn undo
expect_eq "created again" "x" "$(cat d/e/f.txt 2>&1)"
run_cairn undo
[ -e d ] && fail "directory d left behind the second time"

phase "deleted"
"$CAIRN" -c 'rm k.txt' || fail "delete step"
[ -e k.txt ] && fail "k.txt not deleted"
run_cairn undo
expect_eq "deleted undo status" 0 "$RC"
expect_eq "deleted file back" "$S0" "$(state)"

phase "refused: the user changed the file since"
"$CAIRN" -c 'echo three > a.txt; echo more > m.txt' || fail "step"
echo "my edit" >a.txt
run_cairn undo
expect_eq "refused status" 1 "$RC"
expect_match "refusal names the file" "changed since.*a\.txt" "$ERR"
expect_eq "refused: a.txt untouched" "my edit" "$(cat a.txt)"
expect_eq "refused: m.txt untouched" "more" "$(cat m.txt)"
expect_eq "refused: nothing recorded" "echo three > a.txt; echo more > m.txt" \
	"$(rec @1 'r["command"]')"
echo three >a.txt

phase "-n N and STEP"
"$CAIRN" -c 'echo four > a.txt' || fail "step"
run_cairn undo -n 2
expect_eq "-n 2 status" 0 "$RC"
expect_eq "-n 2" "$S0" "$(state)"
"$CAIRN" -c 'echo five > a.txt' || fail "step"
FIRST=$(rec @1 'r["id"]')
"$CAIRN" -c 'echo six > a.txt; echo z > z.txt' || fail "step"
run_cairn undo "$FIRST" --dry-run
expect_match "STEP dry-run" "would restore a.txt.*would restore z.txt" "$(echo $OUT)"
run_cairn undo "$FIRST"
expect_eq "undo since STEP" "$S0" "$(state)"

phase "a file edited in place (the version it read), a symlink retargeted"
"$CAIRN" -c 'printf "a\nb\n" > e.txt; chmod 755 e.txt; ln -s e.txt l' || fail "step"
"$CAIRN" -c 'sed -i s/a/X/ e.txt; ln -sfn z.txt l' || fail "edit step"
run_cairn undo
expect_eq "in-place undo status" 0 "$RC"
expect_eq "edited file back" "a b" "$(echo $(cat e.txt))"
expect_eq "its mode kept" "755" "$(stat -c %a e.txt)"
expect_eq "link target back" "e.txt" "$(readlink l)"
"$CAIRN" -c 'rm e.txt l' || fail "step"
S0=$(state)

phase "the same command again on a changed input: its own earlier output comes back"
# The second run does not see its earlier output (docs/cache.md: its
# write says created), yet that output was there before it.
echo 1 >in.txt
"$CAIRN" -c 'cat in.txt > o.txt' || fail "step"
echo 2 >in.txt
"$CAIRN" -c 'cat in.txt > o.txt' || fail "step again"
expect_eq "the write says created" "True" "$(rec @1 'writes()["o.txt"].get("created")')"
run_cairn undo
expect_eq "own earlier output status" 0 "$RC"
expect_eq "own earlier output back" "1" "$(cat o.txt 2>&1)"
run_cairn undo
expect_eq "and undone again" "2" "$(cat o.txt 2>&1)"

phase "earlier bytes never stored"
echo "by hand" >h.txt
"$CAIRN" -c 'echo over > h.txt' || fail "step"
run_cairn undo
expect_eq "unknown version status" 1 "$RC"
expect_match "names the file" "h\.txt" "$ERR"
expect_eq "left alone" "over" "$(cat h.txt)"

phase "an undo is not replayed"
"$CAIRN" -c 'echo r > r.txt' || fail "step"
run_cairn undo
run_cairn replay @1
expect_eq "replay of an undo: status" 2 "$RC"
expect_match "replay says why" "is a .cairn undo." "$ERR"
[ -e r.txt ] && fail "r.txt came back through replay"

phase "a replaced directory: refused, nothing lost (REVIEW17 H13)"
mkdir -p rd && echo keep >rd/x
run_cairn -c 'rm -rf rd; mkdir rd; echo new > rd/y'
run_cairn undo
expect_eq "replaced directory: refused" 1 "$RC"
expect_match "replaced directory: said" "rd: step .* replaced this directory" "$ERR"
expect_eq "replaced directory: left as the step left it" "y" "$(ls rd)"
run_cairn show --json @1
expect_match "the record says it was replaced" '"replaced": true' "$OUT"

phase "a directory the step made, holding a file of the user's: refused (REVIEW17 H16)"
run_cairn -c 'mkdir ud; echo x > ud/a'
echo mine >ud/mine.txt
n=$("$CAIRN" log --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
run_cairn undo
expect_eq "user's file in the directory: refused" 1 "$RC"
expect_match "user's file: named" "ud .it holds ud/mine.txt, which the step did not make" "$ERR"
expect_eq "user's file: kept" "mine" "$(cat ud/mine.txt)"
expect_eq "the step's file: kept" "x" "$(cat ud/a)"
expect_eq "no undo recorded" "$n" "$("$CAIRN" log --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
rm ud/mine.txt
run_cairn undo
expect_eq "then undone" 0 "$RC"
[ -e ud ] && fail "ud still there after the undo"

done_testing
