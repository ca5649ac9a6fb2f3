#!/bin/sh
# POSIX sh: here-documents, quoted and unquoted, several in a row.
who=dash
cat <<EOF
hello from $who
sum: $((1 + 2))
EOF
cat <<'EOF'
literal $who
EOF
cat > conf.txt <<EOF
user=$who
EOF
while IFS== read -r k v; do echo "key $k value $v"; done < conf.txt
cat <<A; cat <<B
first $who
A
second $who
B
