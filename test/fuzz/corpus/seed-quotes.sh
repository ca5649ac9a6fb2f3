echo 'a"b' "a'b" $'it\'s' $"msg"
echo "multi
line"
echo 'single\
quote'
