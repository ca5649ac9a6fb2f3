#!/bin/bash
# $0 is the script path as given, in later commands and in functions.
echo "name: ${0##*/}"
self=$0
[ "$self" = "$0" ] && echo "stable"
f() { echo "in function \$0 is ${0##*/}"; }
f
bash -c 'echo "child \$0: $0"' custom-name
echo "dir is absolute: $([[ $0 == /* ]] && echo yes)"
(echo "subshell: ${0##*/}")
echo "BASH_SOURCE: ${BASH_SOURCE[0]##*/}"
