#!/bin/bash
# Word-frequency counting with an associative array over several commands.
declare -A freq
text="the cat and the dog and the bird"
for w in $text; do freq[$w]=$(( ${freq[$w]:-0} + 1 )); done
echo "distinct=${#freq[@]}"
for w in "${!freq[@]}"; do echo "$w ${freq[$w]}"; done | sort -k2,2nr -k1,1
more="cat cat fish"
for w in $more; do (( freq[$w]++ )); done
echo "cat=${freq[cat]} fish=${freq[fish]}"
top=""
max=0
for w in "${!freq[@]}"; do
  if (( freq[$w] > max )) || { (( freq[$w] == max )) && [[ $w < $top ]]; }; then max=${freq[$w]}; top=$w; fi
done
echo "top=$top ($max)"
