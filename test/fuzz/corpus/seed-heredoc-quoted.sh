cat <<"E"
x
E
cat <<\E
y
E
cat <<E"O"F
z
EOF
