#!/bin/sh
# POSIX sh: exported variables reach children in later commands.
VISIBLE=one
export VISIBLE
HIDDEN=two
sh -c 'echo "child: VISIBLE=$VISIBLE HIDDEN=${HIDDEN:-unset}"'
export HIDDEN
sh -c 'echo "child: HIDDEN=$HIDDEN"'
unset VISIBLE
sh -c 'echo "child after unset: ${VISIBLE:-unset}"'
ONCE=temp sh -c 'echo "prefix assignment: $ONCE"'
echo "parent ONCE: ${ONCE:-unset}"
env | grep -E '^(VISIBLE|HIDDEN)=' | sort
