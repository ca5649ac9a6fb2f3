#!/bin/bash
# Job specs (%1, %%) refer to jobs started in earlier commands; kill and
# wait report the signal status.
mkfifo never_written
(read -r x < never_written) &
jobs
kill %1
wait %1
echo "killed job status: $?"
(exit 7) &
wait %%
echo "second job status: $?"
jobs
echo "no jobs left: $(jobs | wc -l)"
