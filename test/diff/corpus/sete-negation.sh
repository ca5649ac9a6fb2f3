#!/bin/bash
# ! pipelines are exempt from set -e.
set -e
! true
echo "after ! true: $?"
! false
echo "after ! false: $?"
! grep -q x /dev/null
echo "negated grep ok"
set +e
! true
echo "status with +e: $?"
set -e
false
echo "not reached"
