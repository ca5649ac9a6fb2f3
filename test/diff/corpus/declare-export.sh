#!/bin/bash
# declare -x / export: child processes started in later commands see them.
declare -x RUN_ID=r17
plain=not_exported
export THREADS
THREADS=4
bash -c 'echo "child: RUN_ID=$RUN_ID THREADS=$THREADS plain=${plain:-<unset>}"'
export plain
sh -c 'echo "sh child: plain=$plain"'
declare +x RUN_ID
bash -c 'echo "after +x: RUN_ID=${RUN_ID:-<unset>}"'
echo "parent still has RUN_ID=$RUN_ID"
TMPVAR=only_for_this bash -c 'echo "prefix: $TMPVAR"'
echo "prefix gone: ${TMPVAR:-<unset>}"
declare -p RUN_ID THREADS plain
