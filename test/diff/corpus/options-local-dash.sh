#!/bin/bash
# local - inside a function restores set options when it returns.
strict() { local -; set -eu; echo "inside: ${-//[^eu]/}"; }
echo "before: [${-//[^eu]/}]"
strict
echo "after: [${-//[^eu]/}]"
noglob_scope() { local -; set -f; echo inside *; }
touch file1
noglob_scope
echo after *
