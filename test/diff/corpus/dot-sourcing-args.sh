#!/bin/bash
# args: outer1 outer2
# . FILE ARGS sets positional parameters only during the source; a sourced
# file can cd and set traps that persist.
cat > helper.sh <<'EOF'
echo "helper args: $# [$*]"
helper_loaded=yes
mkdir -p helped && cd helped
trap 'echo "trap from sourced file"' EXIT
EOF
. ./helper.sh a b c
echo "after: $# [$*] loaded=$helper_loaded in ${PWD##*/}"
. ../helper.sh
echo "no-arg source sees script args; now in ${PWD##*/}"
source ./nonexistent.sh
echo "missing source status: $?"
