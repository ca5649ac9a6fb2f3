# cairn find's conditions from #22 on a small store with known answers:
# --tag K=V1,V2 (any of the values), --tag K!=V (none upstream),
# --own-tag with a list, --derived-from-step 'PROGRAM ARGS' (a step
# upstream ran it), --reads-matching GLOB REGEX (an input's content, on
# the step or upstream), --output (files, not steps) and its --json shape.
. "${TEST_SRC:?}/test/integration/lib.sh" || exit 1

for s in speech visual audio other; do echo $s >in-$s.txt; done
cat >p.sh <<'EOF2'
cp in-speech.txt w-speech.txt
cp in-visual.txt w-visual.txt
cp in-audio.txt w-audio.txt
cp in-other.txt w-other.txt
sed -n 1p w-speech.txt > a-speech.txt
tr a-z A-Z < w-visual.txt > a-visual.txt
sort -r w-audio.txt > a-audio.txt
sort w-other.txt > a-other.txt
cat a-speech.txt a-visual.txt > mean.txt
EOF2
"$CAIRN" run p.sh || fail "pipeline"
for s in speech visual audio other; do
	"$CAIRN" tag in-$s.txt studyModality=$s >/dev/null || fail "tag $s"
done
"$CAIRN" tag "$(rec @3 'r["id"]')" stage=sort >/dev/null || fail "tag a step"
"$CAIRN" tag "$(rec @4 'r["id"]')" stage=tr >/dev/null || fail "tag a step"

files() { "$CAIRN" find "$@" --output | sort | tr '\n' ' ' | sed 's/ $//'; }

expect_eq "value list" "a-audio.txt a-speech.txt a-visual.txt mean.txt w-audio.txt w-speech.txt w-visual.txt" \
	"$(files --tag studyModality=speech,visual,audio)"
expect_eq "one value" "a-other.txt w-other.txt" "$(files --tag studyModality=other)"
expect_eq "negation" "a-audio.txt a-other.txt w-audio.txt w-other.txt" \
	"$(files --tag 'studyModality!=speech,visual')"
expect_eq "negation and a value" "a-audio.txt w-audio.txt" \
	"$(files --tag 'studyModality!=speech,visual' --tag studyModality=audio,speech)"
expect_eq "own tag list" "a-audio.txt a-visual.txt" "$(files --own-tag stage=sort,tr)"
expect_eq "own tag negated" "a-audio.txt" "$(files --own-tag stage --own-tag 'stage!=tr')"
expect_eq "derived from a step (program and arguments)" "mean.txt" \
	"$(files --derived-from-step 'tr a-z')"
expect_eq "derived from a step (program glob)" "a-audio.txt a-other.txt" \
	"$(files --derived-from-step 'c?' --command 'sort*')"
expect_eq "derived from a step whose arguments no step ran" "" \
	"$(files --derived-from-step 'sort -n')"
expect_eq "steps, not files, without --output" "1" \
	"$("$CAIRN" find --derived-from-step 'sed' | grep -c '^[0-9a-f]\{8\}  ')"
expect_eq "--output --json" "mean.txt True True" "$("$CAIRN" find --derived-from-step tr --output --json |
	python3 -c 'import json,sys; d=json.load(sys.stdin); print(d[0]["path"], len(d[0]["step"]) == 32, len(d[0]["sha256"]) == 64)')"

phase "--reads-matching"
printf 'station,temp\nA,12\n' >t.csv
printf 'station,precip\nA,3\n' >p.csv
cat >q.sh <<'EOF2'
tail -n +2 t.csv > t.body
tail -n +2 p.csv > p.body
sort t.body > t.sorted
cat p.body > p.copy
sed 's/^/X/' in-speech.txt > s.x
EOF2
"$CAIRN" run q.sh || fail "q.sh"
expect_eq "content of an input, downstream" "t.body t.sorted" "$(files --reads-matching '*.csv' '^station,temp$')"
expect_eq "either header" "p.body p.copy t.body t.sorted" "$(files --reads-matching '*.csv' '^station,(temp|precip)')"
expect_eq "a glob on the path" "" "$(files --reads-matching 'data/*.csv' 'station')"
expect_eq "a version produced by a step (from the content store)" "p.copy" \
	"$(files --reads-matching '*.body' '^A,3')"
echo 'station,wind' >t.csv
expect_eq "an input changed since: its version's bytes are not to be had" "" \
	"$(files --reads-matching 't.csv' 'station')"
run_cairn find --reads-matching '*.csv' '('
expect_eq "bad regex: usage" 2 "$RC"

done_testing
