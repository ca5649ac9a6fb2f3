#!/bin/bash
# <<- strips leading tabs from body lines and the delimiter line.
indent=yes
if [ "$indent" = yes ]; then
	cat <<-END
		tab-indented line one
		  spaces after tabs are kept
		value: $indent
	END
fi
write_cfg() {
	cat <<-CFG > cfg.txt
		name=$1
		mode=fast
	CFG
}
write_cfg alpha
od -c cfg.txt | head -n 3
cat cfg.txt
