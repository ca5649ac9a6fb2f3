#!/bin/bash
# A function that defines other functions when called (in a later
# command); functions generated in a loop with eval.
setup() {
  helper() { echo "helper defined by setup (${1:-})"; }
  other() { echo "other"; }
}
helper 2>/dev/null || echo "helper not yet defined"
setup
helper now
for name in alpha beta; do eval "run_$name() { echo \"running $name\"; }"; done
run_alpha
run_beta
declare -F | awk '{print $3}' | sort | tr '\n' ' '; echo
