#!/bin/bash
# Join two tables on a key with sort/join; check the join and report.
printf '%s\n' "s3 heat" "s1 control" "s2 control" "s4 cold" > groups.txt
printf '%s\n' "s1 0.5" "s2 0.7" "s3 1.9" "s5 0.1" > values.txt
sort -k1,1 groups.txt > g.sorted
sort -k1,1 values.txt > v.sorted
join g.sorted v.sorted > joined.txt
cat joined.txt
join -v1 g.sorted v.sorted | sed 's/^/only in groups: /'
join -v2 g.sorted v.sorted | sed 's/^/only in values: /'
n=$(wc -l < joined.txt)
if [ "$n" -ne "$(wc -l < groups.txt)" ]; then echo "warning: $n of $(wc -l < groups.txt) samples joined"; fi
awk '{ s[$2] += $3 } END { for (k in s) print k, s[k] }' joined.txt | sort
