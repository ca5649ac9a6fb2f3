#!/bin/bash
# {fd}>file allocates a descriptor stored in a variable; it stays open for
# later commands until closed with {fd}>&-.
exec {log}> run.log
echo "allocated fd $log"
echo "first entry" >&$log
for i in 1 2; do echo "entry $i" >&$log; done
exec {inp}< run.log
read -r first <&$inp
echo "read back: $first"
exec {log}>&-
exec {inp}<&-
echo "closed" >&$log 2>/dev/null || echo "write to closed fd fails"
cat run.log
