#!/bin/bash
# Build a markdown report from values computed in earlier commands.
title="Growth assay"
samples=(A1 A2 B1 B2)
declare -A od=([A1]=0.42 [A2]=0.47 [B1]=0.91 [B2]=0.88)
mean=$(for s in "${samples[@]}"; do echo "${od[$s]}"; done | awk '{ s += $1 } END { printf "%.3f", s / NR }')
{
cat <<EOF
# $title

| sample | OD600 |
|--------|-------|
EOF
for s in "${samples[@]}"; do printf '| %s | %s |\n' "$s" "${od[$s]}"; done
cat <<EOF

Mean OD600: $mean (n=${#samples[@]})
EOF
} > report.md
cat report.md
wc -l < report.md
