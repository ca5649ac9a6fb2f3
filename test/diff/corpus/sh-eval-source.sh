#!/bin/sh
# POSIX sh: eval and . of a generated file define state used later; a
# syntax error inside eval ends a dash script.
i=1
while [ $i -le 3 ]; do eval "v$i=\$((i * 10))"; i=$((i + 1)); done
echo "$v1 $v2 $v3"
cat > lib.sh <<'EOF'
LIBVAR=loaded
libfn() { echo "libfn: $1 ($LIBVAR)"; }
EOF
. ./lib.sh
libfn test
LIBVAR=changed
libfn again
eval 'if then'
echo "after eval error: $?"
