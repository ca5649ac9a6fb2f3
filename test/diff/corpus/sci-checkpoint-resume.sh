#!/bin/bash
# Checkpointing: work items are skipped when their output exists; a
# failing item is recorded and the loop continues.
mkdir -p out
echo "cached" > out/item2.done
failed=()
done_count=0
process() {
  local id=$1
  if [ -f "out/item$id.done" ]; then echo "skip $id (checkpoint)"; return 0; fi
  if (( id == 4 )); then echo "item $id failed" >&2; return 1; fi
  echo "result $id" > "out/item$id.done"
  echo "processed $id"
}
for id in 1 2 3 4 5; do
  if process "$id"; then done_count=$((done_count + 1)); else failed+=("$id"); fi
done
echo "done=$done_count failed=${failed[*]:-none}"
ls out
if (( ${#failed[@]} > 0 )); then echo "exit with failure"; exit 1; fi
echo "not reached"
