#!/bin/sh
# POSIX sh: functions defined in one command, called and redefined later.
say() { printf '[v1] %s\n' "$*"; }
twice() { say "$1"; say "$1"; }
say hello
twice again
say() { printf '[v2] %s\n' "$*"; }
twice redefined
add() { echo $(($1 + $2)); }
sum=$(add 2 3)
echo "sum=$sum"
unset -f say
twice gone 2>/dev/null
echo "status after missing function: $?"
