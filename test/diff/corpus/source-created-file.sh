#!/bin/bash
# A file written by the script is sourced; its functions and variables are
# used by later commands.
cat > lib.sh <<'EOF'
LIB_VERSION=3
declare -a LIB_STEPS=(load clean fit)
lib_log() { echo "[lib v$LIB_VERSION] $*"; }
lib_sum() { local s=0; for x; do s=$((s+x)); done; echo $s; }
return 0
echo "not printed: after return in sourced file"
EOF
source lib.sh
echo "source status: $?"
lib_log "loaded, steps: ${LIB_STEPS[*]}"
echo "sum=$(lib_sum 1 2 3 4)"
echo 'LIB_VERSION=4' > override.sh
. ./override.sh
lib_log "after override"
echo 'false' > failing.sh
. ./failing.sh
echo "status of sourcing failing file: $?"
