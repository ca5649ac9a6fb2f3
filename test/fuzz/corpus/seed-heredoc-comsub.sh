x=$(cat <<EOF
hello )
EOF
)
echo "$x"
