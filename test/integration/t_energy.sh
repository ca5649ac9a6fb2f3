# Energy per step (docs/step-record.md, resources.energy_j): every record
# carries an estimate and names how it was made; under the model (no
# readable RAPL counter) it is the step's CPU time at 10 W per busy core,
# so it grows with CPU time; a hit records what it saved, and `cache
# stats` sums it.
. "$TEST_SRC/test/integration/lib.sh"

field() { # STEP EXPR: of the record (python expression on r)
	"$CAIRN" show --json "$1" | python3 -c '
import json, sys
r = json.load(sys.stdin)
r = r.get("record", r)
print(eval(sys.argv[1]))' "$2"
}

"$CAIRN" -c 'true' </dev/null
"$CAIRN" -c 'python3 -c "sum(range(3 * 10**7))"' </dev/null
light=$(field @2 'r["resources"]["energy_j"]')
heavy=$(field @1 'r["resources"]["energy_j"]')
model=$(field @1 'r["resources"]["energy_model"]')
expect_match "the model is named" '^(rapl|model)' "$model"
case "$model" in
model*)
	expect_eq "model: energy is CPU time x 10 W" "ok" "$(field @1 '"ok" if abs(r["resources"]["energy_j"] - 10 * (r["resources"]["cpu_user_s"] + r["resources"]["cpu_sys_s"])) < 1e-6 else r["resources"]')"
	expect_eq "model: grows with CPU time" "yes" "$(python3 -c "print('yes' if $heavy > $light else 'no')")"
	;;
*) echo "$T_NAME: checking only that RAPL's figure is there (the machine's, not the step's)" >&2 ;;
esac
"$CAIRN" -c 'python3 -c "sum(range(3 * 10**7))"' </dev/null
expect_eq "a hit" "True" "$(field @1 'r["cached"]')"
expect_eq "it saved what the step it reused took" "$heavy" "$(field @1 'r["saved_energy_j"]')"
run_cairn show @1
expect_match "show says it" "saved .* J" "$OUT"
run_cairn cache stats --json
expect_eq "cache stats sums it" "ok" "$(echo "$OUT" | python3 -c "
import json, sys
o = json.load(sys.stdin)
print('ok' if abs(o['energy_saved_j'] - $heavy) < 1e-6 else o)")"
done_testing
