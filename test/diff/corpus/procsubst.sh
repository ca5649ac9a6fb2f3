#!/bin/bash
# Process substitution <( ) and >( ) with data created earlier.
printf '%s\n' b a c > left.txt
printf '%s\n' c d b > right.txt
comm -12 <(sort left.txt) <(sort right.txt)
diff <(sort left.txt) <(sort right.txt) | grep -c '^[<>]'
paste -d: <(cut -c1 left.txt) right.txt
while read -r x; do echo "item $x"; done < <(sort -r left.txt)
count=0
while read -r _; do count=$((count+1)); done < <(cat left.txt right.txt)
echo "count=$count"
tee >(cat > tee_copy.txt) > /dev/null <<< "tee data"
wait $!
cat tee_copy.txt
