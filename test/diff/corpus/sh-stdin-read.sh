#!/bin/sh
# stdin: readings.txt
# POSIX sh: successive commands consume the script's stdin.
read -r header
echo "header=$header"
read -r site value
echo "first site $site"
count=0
while read -r s v; do count=$((count + 1)); done
echo "remaining lines: $count"
