#!/bin/bash
# $(( )) arithmetic with variables carried between commands.
n=7
m=3
echo "$((n + m)) $((n - m)) $((n * m)) $((n / m)) $((n % m)) $((n ** 2))"
total=$(( (n + m) * 2 ))
echo "total=$total"
echo "$(( total > 15 ? 1 : 0 ))"
x=0x1F; y=010; z=2#101
echo "$((x)) $((y)) $((z)) $((10#$y))"
i=5
echo "$((i++)) $i $((++i)) $((i--)) $i"
echo "$(( 1 << 4 )) $(( 255 & 15 )) $(( 1 | 6 )) $(( 5 ^ 1 ))"
echo "$(( -7 / 2 )) $(( -7 % 2 ))"
count=$((count + 1))
count=$((count + 1))
echo "count=$count"
str=12
echo "$(( str * 2 ))"
