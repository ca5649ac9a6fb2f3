#!/bin/bash
# A coprocess started in one command is written to and read from in later
# commands; its pid is saved before it can be reaped.
coproc CALC { while read -r a b; do echo $((a * b)); done; }
calc_pid=$CALC_PID
echo "3 4" >&"${CALC[1]}"
read -r r1 <&"${CALC[0]}"
echo "3*4=$r1"
echo "6 7" >&"${CALC[1]}"
read -r r2 <&"${CALC[0]}"
echo "6*7=$r2"
exec {CALC[1]}>&-
wait "$calc_pid"
echo "coproc ended: $?"
