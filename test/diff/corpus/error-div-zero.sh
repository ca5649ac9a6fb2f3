#!/bin/bash
# Division by zero and other arithmetic errors report the expression and
# line; the command is aborted but the script goes on.
total=10
count=0
echo "mean: $((total / count))"
echo "status after: $?"
(( r = total % count ))
echo "(( )) status: $?"
let "q = total / count"
echo "let status: $?"
echo "bad token: $(( 3 + * 2 ))"
echo "status: $?"
declare -i n
n="5 5"
echo "n=$n"
count=2
echo "mean now: $((total / count))"
