#!/bin/bash
# Run a batch of generated job scripts, collect their exit codes, summarise.
mkdir -p jobs logs
for i in 1 2 3 4 5; do
  cat > "jobs/job$i.sh" <<EOF
echo "job $i running"
[ $i -ne 3 ] || { echo "job $i: bad input" >&2; exit 2; }
[ $i -ne 5 ] || exit 1
echo "job $i ok"
EOF
done
declare -A rc
for j in jobs/*.sh; do
  name=${j##*/}; name=${name%.sh}
  bash "$j" > "logs/$name.out" 2> "logs/$name.err"
  rc[$name]=$?
done
for name in $(printf '%s\n' "${!rc[@]}" | sort); do echo "$name: ${rc[$name]}"; done
nfail=0
for v in "${rc[@]}"; do (( v != 0 )) && nfail=$((nfail + 1)); done
echo "failed: $nfail"
cat logs/job3.err
for f in logs/*.err; do [ -s "$f" ] && echo "nonempty: $f"; done
exit $(( nfail > 0 ))
