#!/bin/bash
# { } groups with redirections; their variables persist.
{
  echo "# report"
  echo "lines: 3"
  total=3
} > report.txt
echo "total=$total"
cat report.txt
{ echo out; echo err >&2; } > both.log 2>&1
cat both.log
{ read -r first; read -r second; } < report.txt
echo "first=[$first] second=[$second]"
{ echo appended; } >> report.txt
wc -l < report.txt
