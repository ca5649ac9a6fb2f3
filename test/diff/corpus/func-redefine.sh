#!/bin/bash
# A function redefined in a later command; callers pick up the new body.
log() { echo "[v1] $*"; }
run() { log "running $1"; }
run step1
log() { echo "[v2] $*" >&2; }
run step2
function log { echo "[v3] $*"; }
run step3
log_orig=$(declare -f log)
log() { echo "[v4] $*"; }
eval "$log_orig"
run step4
