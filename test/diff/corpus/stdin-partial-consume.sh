#!/bin/bash
# stdin: greek.txt
# Several commands share the script's stdin: each must start where the
# previous one stopped (builtin read, external head, sed, cat).
read -r first
echo "read: $first"
head -n 2
echo "--"
read -r fourth
echo "read: $fourth"
head -n 1
echo "--"
rest=$(cat)
echo "rest: $(echo $rest)"
read -r none || echo "stdin exhausted"
