echo $( echo $( echo a ) )
echo "$(echo ")")"
