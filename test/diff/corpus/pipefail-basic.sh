#!/bin/bash
# set -o pipefail set early changes $? of later pipelines.
false | true
echo "without pipefail: $?"
set -o pipefail
false | true
echo "with pipefail: $?"
(exit 3) | (exit 0) | true
echo "rightmost failing: $?"
printf 'x\n' | grep -q y | cat
echo "grep no-match: $?"
set -o | grep pipefail
set +o pipefail
false | true
echo "off again: $?"
