#!/bin/bash
# Recursive functions defined in one command, used in several later ones.
fact() { if (( $1 <= 1 )); then echo 1; else echo $(( $1 * $(fact $(( $1 - 1 ))) )); fi; }
fib() { local n=$1; if (( n < 2 )); then echo "$n"; return; fi; echo $(( $(fib $((n-1))) + $(fib $((n-2))) )); }
echo "5! = $(fact 5)"
echo "10! = $(fact 10)"
for i in 0 1 2 3 4 5 6 7; do printf '%s ' "$(fib $i)"; done; echo
depth=0
walk() { local d=$1; depth=$((depth+1)); (( d > 0 )) && walk $((d-1)); return 0; }
walk 4
echo "depth=$depth"
mkdir -p tree/a/b tree/c
touch tree/a/b/f1 tree/c/f2 tree/f3
count_files() { local n=0 e; for e in "$1"/*; do if [ -d "$e" ]; then n=$((n + $(count_files "$e"))); else n=$((n+1)); fi; done; echo $n; }
echo "files=$(count_files tree)"
