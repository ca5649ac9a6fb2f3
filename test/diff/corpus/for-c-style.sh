#!/bin/bash
# for (( ; ; )) loops; the loop variable persists after the loop.
for ((i = 0; i < 5; i++)); do printf '%d ' $i; done; echo
echo "i after loop: $i"
for ((j = 10, k = 0; j > k; j -= 3, k++)); do echo "j=$j k=$k"; done
echo "j=$j k=$k"
n=4
for ((row = 1; row <= n; row++)); do
  line=""
  for ((col = 1; col <= row; col++)); do line+="$((row * col)) "; done
  echo "$line"
done
for ((;;)); do ((++z >= 3)) && break; done
echo "z=$z"
