#!/bin/bash
# Exported vs unexported variables as seen by child processes, over
# several commands (env | grep, bash -c, a generated script).
export DATA_DIR=/data/in
LOCAL_ONLY=secret
env | grep '^DATA_DIR='
env | grep -c '^LOCAL_ONLY=' 
echo 'echo "script sees: ${DATA_DIR:-none} ${LOCAL_ONLY:-none} ${NEW_VAR:-none}"' > show.sh
bash show.sh
export NEW_VAR=added
bash show.sh
DATA_DIR=/data/changed
bash show.sh
export -n DATA_DIR
bash show.sh
echo "still set in script: $DATA_DIR"
