#!/bin/bash
# Here-documents inside $( ) and backquotes.
who=world
text=$(cat <<EOF
hello $who
second line
EOF
)
echo "$text" | wc -l
echo "$text"
count=$(wc -l <<'EOF'
a
b
c
EOF
)
echo "count=$count"
upper=`tr a-z A-Z <<EOF
quiet $who
EOF`
echo "$upper"
sum=$(awk '{s+=$1} END {print s}' <<EOF
$count
10
EOF
)
echo "sum=$sum"
