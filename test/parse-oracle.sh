#!/bin/bash
# parse-oracle.sh - check shell_parse() against `bash -n` on many scripts.
#
#   test/parse-oracle.sh [-q] [-s] PARSE_CHECK PATH...
#
# PARSE_CHECK is the test/fuzz/parse_check_main.c driver; PATH is a file or
# a directory (searched recursively for regular files).  Each file is run
# through both; they agree when both accept or both reject.  bash runs with
# extglob on, because cairn always accepts extended glob patterns (a script
# may enable them on an earlier line).
#
# Disagreements are listed as
#   FALSE-REJECT file: ours    (bash accepts, cairn rejects: a bug)
#   LENIENT file: bash-error   (bash rejects, cairn accepts: tolerated)
#   CONTRACT file: ours        (bash accepts with a here-document or
#                               end-of-input warning, cairn says incomplete,
#                               or the input holds a NUL byte, as parse.h
#                               specifies; or `for ((...)' lacks its `))',
#                               where bash silently stops reading)
# With -s, also checks where cairn splits each accepted file: every
# command's lines must pass `bash -n` on their own, and (for up to 20
# sampled earlier lines of a multi-line command) the lines up to there must
# not: otherwise bash would have ended the command sooner.  Failures are
# listed as SPLIT.
# Exit status 1 if there was any FALSE-REJECT or SPLIT.
#
# Build the driver with, e.g.:
#   gcc -std=gnu11 -D_GNU_SOURCE -include util/banned.h -Iutil -Ishell \
#       shell/parse.c util/*.c test/fuzz/parse_check_main.c -lcrypto -o parse_check
set -u

quiet=0 split=0
while [ $# -gt 0 ]; do
	case $1 in
	-q) quiet=1 ;;
	-s) split=1 ;;
	*) break ;;
	esac
	shift
done
if [ $# -lt 2 ]; then
	echo "usage: $0 [-q] PARSE_CHECK PATH..." >&2
	exit 2
fi
check=$1
shift

total=0 agree=0 false_reject=0 lenient=0 contract=0 split_bad=0 split_checked=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Is the text on stdin a clean, complete command list for bash -n?
bash_clean() {
	local out
	cat >"$tmp/piece"
	out=$(bash -O extglob -n "$tmp/piece" 2>&1 </dev/null) || return 1
	[ -z "$out" ]
}

# check_split FILE "L1-L2 L1-L2 ..."
check_split() {
	local f=$1 range a b n step l
	for range in $2; do
		a=${range%-*} b=${range#*-}
		split_checked=$((split_checked + 1))
		if ! sed -n "${a},${b}p" "$f" | bash_clean; then
			# A here-document body may end at the end of input.
			if ! sed -n "${a},${b}p" "$f" | bash -O extglob -n 2>&1 | grep -q 'here-document'; then
				split_bad=$((split_bad + 1))
				echo "SPLIT $f: lines $a-$b are not a complete command"
				continue
			fi
		fi
		n=$((b - a))
		[ $n -gt 0 ] || continue
		step=$(( (n + 19) / 20 ))
		for ((l = a; l < b; l += step)); do
			# A line ending in a backslash continues; bash -n takes it
			# as complete at the end of input.
			sed -n "${l}p" "$f" | grep -q '\\$' && continue
			if sed -n "${a},${l}p" "$f" | bash_clean; then
				split_bad=$((split_bad + 1))
				echo "SPLIT $f: lines $a-$l already form a complete command (cairn: $a-$b)"
				break
			fi
		done
	done
}

while IFS= read -r -d '' f; do
	total=$((total + 1))
	bout=$(bash -O extglob -n "$f" 2>&1 </dev/null)
	brc=$?
	# bash -n reports some [[ ]] errors with status 0: go by the output.
	bash_ok=1
	if [ $brc -ne 0 ] || grep -q -e 'syntax error' -e 'unexpected' -e 'conditional' \
		-e 'expected' <<<"$bout"; then
		bash_ok=0
	fi
	ours=$("$check" "$f" 2>&1 </dev/null)
	our_ok=0
	case $ours in ok\ *) our_ok=1 ;; esac

	if [ $bash_ok -eq $our_ok ]; then
		agree=$((agree + 1))
		if [ $split -eq 1 ] && [ $our_ok -eq 1 ]; then
			check_split "$f" "$(cut -s -d' ' -f3- <<<"$ours")"
		fi
	elif [ $bash_ok -eq 1 ]; then
		case $ours in
		*"\`))' expected to end arithmetic for")
			# bash -n is silent, but bash stops reading the script
			# there as if it had ended: cairn rejects on purpose.
			contract=$((contract + 1))
			[ $quiet -eq 1 ] || echo "CONTRACT $f: $ours"
			continue
			;;
		*"NUL byte in input")
			contract=$((contract + 1))
			[ $quiet -eq 1 ] || echo "CONTRACT $f: $ours"
			continue
			;;
		*"(incomplete)")
			if grep -q -e 'delimited by end-of-file' <<<"$bout" ||
				[ "$(tail -c 2 "$f" | od -An -tx1 | tr -d ' \n')" = 5c0a ] ||
				[ "$(tail -c 1 "$f" | od -An -tx1 | tr -d ' \n')" = 5c ]; then
				contract=$((contract + 1))
				[ $quiet -eq 1 ] || echo "CONTRACT $f: $ours"
				continue
			fi
			;;
		esac
		false_reject=$((false_reject + 1))
		echo "FALSE-REJECT $f: $ours"
	else
		lenient=$((lenient + 1))
		[ $quiet -eq 1 ] || echo "LENIENT $f: $(head -n 1 <<<"$bout")"
	fi
done < <(find "$@" -type f -print0 | sort -z)

echo "files: $total  agree: $agree  false-reject: $false_reject  lenient: $lenient  contract: $contract"
[ $split -eq 0 ] || echo "split: $split_checked commands checked, $split_bad bad"
if [ $total -gt 0 ]; then
	awk -v a=$agree -v c=$contract -v t=$total \
		'BEGIN { printf "agreement: %.2f%% (%.2f%% counting contract cases)\n", 100*a/t, 100*(a+c)/t }'
fi
[ $false_reject -eq 0 ] && [ $split_bad -eq 0 ]
