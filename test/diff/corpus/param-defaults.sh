#!/bin/bash
# ${x:-} ${x-} ${x:=} ${x:+} and assignment by := persisting to later commands.
unset out
empty=
echo "1: ${out:-default_out}"
echo "2: ${empty:-empty_default} ${empty-unset_only}"
: "${out:=results}"
echo "3: out=$out"
: ${threads:=4} ${prefix:=run_}
echo "4: threads=$threads prefix=$prefix"
echo "5: ${out:+set} ${nothing:+never}"
mkdir -p "${out}"
touch "$out/${prefix}${threads}.log"
ls "$out"
echo "6: ${empty:=filled} empty=$empty"
