#!/bin/bash
# Duplicating and moving descriptors with exec across commands.
exec 3> a.txt 4> b.txt
echo "to a" >&3
exec 5>&3
echo "to a via 5" >&5
exec 3>&- 
exec 3>&4-
echo "to b via moved 3" >&3
echo "fd4 is closed" >&4 2>/dev/null || echo "fd 4 closed: ok"
exec 3>&- 5>&-
cat a.txt
cat b.txt
