#!/bin/bash
# $- and set -o reflect options changed in earlier commands.
echo "start: $-"
set -eu
echo "after -eu: $-"
set -o noglob -o pipefail
echo "after noglob: $-"
set -o | grep -E '^(errexit|nounset|noglob|pipefail|xtrace|noclobber)[[:space:]]' 
set +euf +o pipefail
echo "reset: $-"
set -o allexport
auto=1
bash -c 'echo "allexport child sees auto=${auto:-no}"'
set +a
manual=2
bash -c 'echo "manual=${manual:-no}"'
