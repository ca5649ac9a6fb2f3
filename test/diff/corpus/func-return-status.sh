#!/bin/bash
# return values, $? after calls in later commands, return without arg.
is_even() { (( $1 % 2 == 0 )); }
classify() { if is_even "$1"; then return 0; fi; return 3; }
last_status() { false; return; }
is_even 4; echo "4: $?"
is_even 5; echo "5: $?"
classify 7
echo "classify 7: $?"
last_status
echo "last_status: $?"
for n in 1 2 3 4; do is_even $n && echo "$n even"; done
r() { return 300; }
r; echo "return 300 -> $?"
