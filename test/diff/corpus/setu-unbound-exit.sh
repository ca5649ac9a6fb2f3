#!/bin/bash
# set -u in one command; expanding an unset variable in a later command is
# an error (message with line number) that ends the script with status 1.
set -u
defined=yes
echo "defined=$defined"
echo "default ok: ${maybe:-fallback}"
arr=(a b)
echo "arr: ${arr[1]}"
echo "total: $total_count"
echo "not reached"
