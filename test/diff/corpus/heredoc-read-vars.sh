#!/bin/bash
# read from here-documents; the values are used by later commands.
read -r host port <<EOF
localhost 8080
EOF
echo "host=$host port=$port"
{ read -r line1; read -r line2; } <<EOF
alpha beta
gamma delta
EOF
echo "1:$line1 2:$line2"
IFS=: read -r -a parts <<EOF
a:b:c:d
EOF
echo "${#parts[@]} ${parts[2]}"
url="http://$host:$port/"
echo "$url"
read -r -d '' block <<'EOF' || true
multi
line block
EOF
printf '%s\n' "$block" | wc -l
echo "status of read with -d '': done"
