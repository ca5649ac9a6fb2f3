#!/bin/bash
# Backslash escaping outside and inside double quotes.
price=\$5.00
echo $price
path=C:\\data\\run1
echo "$path"
echo "a \"quoted\" word and a \$dollar and a \\ and a \`tick\`"
echo a\ b\ c | tr ' ' '_'
echo "keep \n and \t literal"
x=1
echo \$x is $x, "\$x is $x", '\$x'
file=my\ file.txt
echo data > "$file"
ls
cat my\ file.txt
