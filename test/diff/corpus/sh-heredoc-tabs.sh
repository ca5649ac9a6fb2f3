#!/bin/sh
# POSIX sh: <<- strips leading tabs; here-docs inside functions and loops.
emit() {
	cat <<-EOF
		item $1
		  kept spaces
	EOF
}
for i in 1 2; do
	emit "$i"
done
v=$(cat <<-EOF
	inside cmdsubst
	EOF
)
echo "v=$v"
