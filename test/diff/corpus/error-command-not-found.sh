#!/bin/bash
# Command not found at top level: message with script name and line number,
# status 127, script continues.
echo "before"
analyse_data --fast input.csv
echo "status=$?"

for tool in sort frobnicate; do
  $tool /dev/null
done
echo "loop status=$?"
./not_here.sh
echo "relative path status=$?"
touch noexec.sh
./noexec.sh
echo "not executable status=$?"
