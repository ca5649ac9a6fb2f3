cat <<EOF | grep x
body
EOF
cat <<EOF && echo ok
body
EOF
