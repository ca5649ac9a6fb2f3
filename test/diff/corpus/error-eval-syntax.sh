#!/bin/bash
# Syntax errors inside eval are reported (with line numbers) but do not
# end the script; the state before and after is kept.
a=1
eval 'if then fi'
echo "status after eval syntax error: $?"
eval 'b=2; c=$((a + b'
echo "b=${b-unset} c=${c-unset}"
eval 'for x in 1 2; do'
eval "echo 'unterminated"
eval 'ok=yes'
echo "ok=$ok"
bash -c 'case x in'
echo "child syntax status: $?"
