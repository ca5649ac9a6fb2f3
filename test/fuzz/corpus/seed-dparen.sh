((a);(b))
(( x = 1 + 2 ))
((x)) && echo
echo $(( (1+2) * 3 ))
echo $((echo a);(echo b))
