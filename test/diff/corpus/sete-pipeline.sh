#!/bin/bash
# set -e looks only at the pipeline's last command (without pipefail).
set -e
false | true
echo "false|true ok"
printf 'a\nb\n' | grep -q b
echo "grep matched"
true | false
echo "not reached"
