#!/bin/bash
# stdin: readings.txt
# Lines of the script's stdin are read by successive top-level commands.
read -r header
echo "header: $header"
read -r site value
echo "first: $site=$value"
total=$value
while read -r site value; do
  total=$(awk -v a="$total" -v b="$value" 'BEGIN { print a + b }')
  echo "running total after $site: $total"
done
echo "final total: $total"
read -r extra
echo "read after EOF: $? [$extra]"
