#!/bin/bash
# export -n, unset, unset -v in later commands, seen by children.
export A=1 B=2 C=3
bash -c 'echo "$A $B $C"'
export -n B
unset C
bash -c 'echo "A=${A-u} B=${B-u} C=${C-u}"'
echo "here: A=${A-u} B=${B-u} C=${C-u}"
export B
bash -c 'echo "B back: ${B-u}"'
unset -v A
env | grep -E '^(A|B|C)=' | sort
