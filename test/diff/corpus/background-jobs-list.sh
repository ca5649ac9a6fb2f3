#!/bin/bash
# A background job started in one command (blocked on a FIFO, so its state
# does not depend on timing), listed with jobs, released and waited for in
# later commands; $! used across commands.
mkfifo ctl
(read -r msg < ctl; echo "job got: $msg" > job.out; exit 4) &
job_pid=$!
jobs
echo "jobs count: $(jobs -p | wc -l)"
[ "$(jobs -p)" = "$job_pid" ] && echo "jobs -p matches \$!"
echo release > ctl
wait "$job_pid"
echo "job status: $?"
cat job.out
jobs
false &
wait $!
echo "false in background: $?"
wait
echo "all done: $?"
