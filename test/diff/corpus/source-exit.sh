#!/bin/bash
# A sourced file that calls exit ends the whole script (after sourcing it
# from a later command); its EXIT trap runs.
cat > finish.sh <<'EOF'
echo "finish.sh: cleaning up"
trap 'echo "trap from finish.sh"' EXIT
exit 6
EOF
echo "main work"
result=done
. ./finish.sh
echo "not reached: $result"
