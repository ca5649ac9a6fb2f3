while read x; do
  cat <<EOF
$x
EOF
done < f
