#!/bin/bash
# (( )) commands: exit status, counters and assignment carried over.
(( a = 5, b = a * 2 ))
echo "a=$a b=$b"
(( 0 ))
echo "status of (( 0 )): $?"
(( b > a ))
echo "status of b>a: $?"
declare -i errors=0
for f in 1 0 1 1 0; do (( f == 0 )) && (( errors++ )); done
echo "errors=$errors"
(( errors++ ))
echo "post-increment status $? errors=$errors"
k=0
(( k++ ))
echo "k++ from 0 status: $?"
if (( errors >= 3 )); then echo "too many errors"; fi
(( arr[2] = 9 ))
echo "${arr[2]} ${#arr[@]}"
