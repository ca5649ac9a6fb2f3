#!/bin/bash
# Here-documents with expansion; variables set before are used inside.
sample=S042
temp=37.5
cat <<EOF
Sample: $sample
Temperature: ${temp}C
Computed: $((2 * 21))
Command: $(echo nested)
Escaped: \$sample
EOF
cat > params.ini <<EOF
[run]
sample = $sample
temp = $temp
EOF
grep -c = params.ini
sample=S043
sed -n 's/^sample = //p' params.ini
cat <<EOF | tr a-z A-Z
piped $sample
EOF
