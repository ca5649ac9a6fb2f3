#!/bin/bash
# Quoted delimiters ('EOF', "EOF", \EOF) disable expansion.
x=expanded
cat <<'EOF'
literal $x $(echo no) `echo no` \n
EOF
cat <<"EOF"
also literal $x
EOF
cat <<\EOF
backslash-quoted $x
EOF
cat <<E"O"F
partly quoted $x
EOF
cat <<EOF
unquoted $x
EOF
cat > gen.sh <<'GEN'
#!/bin/bash
echo "generated script sees x=${x:-unset}"
GEN
bash gen.sh
x=$x bash gen.sh
