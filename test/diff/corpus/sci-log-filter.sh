#!/bin/bash
# Filter and aggregate a log with grep/sed/sort, counting levels.
cat > job.log <<'EOF'
2024-01-01 10:00:01 INFO  start job 17
2024-01-01 10:00:02 WARN  low memory on node3
2024-01-01 10:00:05 INFO  step 1 finished
2024-01-01 10:00:09 ERROR failed to open input_07.dat
2024-01-01 10:00:10 INFO  step 2 finished
2024-01-01 10:00:12 ERROR failed to open input_09.dat
2024-01-01 10:00:15 WARN  retrying node3
EOF
awk '{ print $3 }' job.log | sort | uniq -c | awk '{ print $2 "=" $1 }' > levels.txt
cat levels.txt
errors=$(grep -c ERROR job.log)
echo "errors=$errors"
grep ERROR job.log | sed -E 's/.*(input_[0-9]+\.dat).*/\1/' > failed_inputs.txt
cat failed_inputs.txt
grep -q FATAL job.log || echo "no FATAL entries (grep status $?)"
nodes=$(grep -o 'node[0-9]*' job.log | sort -u | tr '\n' ' ')
echo "nodes: $nodes"
(( errors > 1 )) && echo "too many errors" >&2
