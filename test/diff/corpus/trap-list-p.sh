#!/bin/bash
# trap -p lists traps set in earlier commands (quoting preserved).
trap 'echo "bye $USER_NAME"' EXIT
trap 'echo int' INT
trap ':' USR1
trap -p
echo ---
trap -p EXIT
trap - INT
trap '' TERM
trap -p
echo "---"
trap
trap - EXIT USR1 TERM
trap -p | wc -l
