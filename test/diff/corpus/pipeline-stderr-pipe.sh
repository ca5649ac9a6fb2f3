#!/bin/bash
# |& pipes stderr too; 2>&1 | ordering; pipelines with functions.
emit() { echo "to stdout"; echo "to stderr" >&2; }
emit |& sort
emit 2>&1 >/dev/null | tr a-z A-Z
emit 2>/dev/null | wc -l
n=$(emit |& wc -l)
echo "n=$n"
printf 'c\nb\na\n' | sort | head -n 2 | tr '\n' ' '; echo
ls nonexistent_zz |& sed 's/^ls: //'
echo "status: ${PIPESTATUS[*]}"
