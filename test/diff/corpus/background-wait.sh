#!/bin/bash
# Jobs started with & in one command, waited for in a later command; the
# results must be complete after wait.
(sleep 0.05; echo "job A done" > a.out) &
pid_a=$!
(sleep 0.1; echo "job B done" > b.out; exit 3) &
pid_b=$!
echo "started two jobs"
wait "$pid_a"
echo "A status: $?"
cat a.out
wait "$pid_b"
echo "B status: $?"
cat b.out
for i in 1 2 3; do (echo "part $i" > part$i.txt) & done
wait
cat part*.txt
