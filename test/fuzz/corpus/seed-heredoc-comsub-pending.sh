echo $(cat <<A) $(cat <<B) C
a
A
b
B
echo next
