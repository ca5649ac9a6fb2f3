#!/bin/bash
# ${x@Q} ${x@E} ${x@A} ${x@a} ${x@U} ${x@L} transformations.
msg="it's a \"test\""
echo "${msg@Q}"
esc='tab\there'
echo "${esc@E}"
declare -i count=3
echo "${count@A}"
echo "${count@a}"
name=mixed_Case
echo "${name@U} ${name@L} ${name@u}"
arr=(a 'b c')
echo "${arr[@]@Q}"
declare -r frozen=1
echo "${frozen@a}"
