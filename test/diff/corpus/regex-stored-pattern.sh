#!/bin/bash
# Regex stored in a variable, quoted parts literal, loop over lines.
re='^([A-Z]{2})-([0-9]{3})$'
codes="AB-123 x-1 CD-456 EF-78 GH-900"
valid=()
for c in $codes; do
  if [[ $c =~ $re ]]; then valid+=("${BASH_REMATCH[1]}:${BASH_REMATCH[2]}"); fi
done
echo "valid: ${valid[*]}"
echo "last match still: ${BASH_REMATCH[0]}"
[[ "a.c" =~ "a.c" ]] && echo "quoted literal dot matches"
[[ "abc" =~ "a.c" ]] || echo "quoted literal does not match abc"
[[ "abc" =~ a.c ]] && echo "unquoted dot matches abc"
email_re='^[^@]+@([^.]+)\.org$'
[[ user@lab.org =~ $email_re ]]
echo "domain=${BASH_REMATCH[1]}"
[[ "x(y)" =~ \((.)\) ]] && echo "paren: ${BASH_REMATCH[1]}"
