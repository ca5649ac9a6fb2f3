#!/bin/bash
# Several here-documents on one command line.
a=first
b=second
paste - - 3<<A 4<<B <<EOF
ignored-fd3 $a
A
ignored-fd4 $b
B
left
right
EOF
cat <<ONE; cat <<TWO
one: $a
ONE
two: $b
TWO
while read -r l <&3 && read -r r <&4; do echo "$l|$r"; done 3<<X 4<<Y
x1
x2
X
y1
y2
Y
echo "after: $a $b"
