#!/bin/bash
# A here-document attached to a whole function definition is part of the
# function: it must still be there when the function is called later.
banner() { cat; } <<EOF
== run report ==
EOF
show_args() { printf '<%s>' "$@"; echo; } <<<"unused"
banner
show_args a "b c"
count() {
	wc -l <<EOF
one
two
EOF
}
count
banner
