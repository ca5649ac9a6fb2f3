#!/bin/sh
# dash: a file sourced with . that calls exit ends the script; its
# variables were visible before that.
cat > stage.sh <<'EOF'
STAGE=two
echo "stage.sh: STAGE=$STAGE"
[ -f stop.flag ] && exit 5
EOF
STAGE=one
. ./stage.sh
echo "after first source: $STAGE"
touch stop.flag
. ./stage.sh
echo "not reached"
