#!/bin/bash
# PIPESTATUS of a top-level pipeline read in the next command; pipefail with
# set -e stops the script.
printf 'a\nb\n' | grep -q z | sort
echo "pipestatus: ${PIPESTATUS[*]}"
true | (exit 5) | true
codes=("${PIPESTATUS[@]}")
echo "saved: ${codes[*]}"
false
echo "single: ${PIPESTATUS[*]}"
set -eo pipefail
echo ok | cat
echo "one more"
cat nofile.txt 2>/dev/null | sort
echo "not reached"
