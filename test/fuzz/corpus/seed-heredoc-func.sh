f() {
  cat <<EOF
body }
EOF
}
