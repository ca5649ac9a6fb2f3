cat <((a)+(b)) >((c))
echo $((echo a);(echo b))
