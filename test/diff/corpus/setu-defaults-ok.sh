#!/bin/bash
# args: one
# set -u tolerates ${x-}, ${x:-}, $@ with no args, [[ -v ]]; $2 is unbound.
set -u
echo "opt=${OPTIONAL-}"
echo "n=$# first=$1"
[[ -v UNSET_THING ]] || echo "UNSET_THING not set"
for a in "$@"; do echo "arg $a"; done
empty=()
echo "empty: ${empty[@]+has} ${#empty[@]}"
set +u
echo "second: [$2]"
set -u
echo "second again: [$2]"
echo "not reached"
