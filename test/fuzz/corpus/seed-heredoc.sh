cat <<EOF
hello $x
EOF
cat <<'EOF'
$literal
EOF
