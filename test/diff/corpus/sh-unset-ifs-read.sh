#!/bin/sh
# POSIX sh: read with a custom IFS and unset IFS in later commands.
IFS=: read -r user shell <<EOF
alice:/bin/sh
EOF
echo "user=$user shell=$shell"
line="  padded   words  "
read -r a b <<EOF
$line
EOF
echo "[$a] [$b]"
IFS=,
read -r x y <<EOF
1,2
EOF
echo "x=$x y=$y"
unset IFS
set -- $line
echo "n=$#"
