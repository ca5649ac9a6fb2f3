#!/bin/sh
# POSIX sh (dash): command not found message uses "SCRIPT: LINE: cmd: not found".
echo "start"
no_such_program arg
echo "status=$?"
f() {
  also_missing
}
f
echo "function status=$?"
./nothere
echo "status=$?"
