# Steps start with the caller's umask, as under bash (cairn used 022
# whatever the caller's was: found by the second hostile review, S1).
. "$TEST_SRC/test/integration/lib.sh"

mkdir -p .cairn
for m in 077 027 002; do
	got=$(umask "$m" && "$CAIRN" -c 'umask; touch "f'"$m"'"; stat -c %a "f'"$m"'"' </dev/null 2>&1)
	want=$(mkdir -p ref && cd ref && umask "$m" && bash -c 'umask; touch "f'"$m"'"; stat -c %a "f'"$m"'"' 2>&1)
	expect_eq "umask $m" "$want" "$got"
done
done_testing
