#!/bin/bash
# compare.sh - differential test: `cairn run SCRIPT ARGS` against the shell
# that cairn promises to behave like.
#
# usage: compare.sh CAIRN_BINARY SCRIPT
#
# SCRIPT may start with header comment lines (any order, anywhere in the
# leading block of `#` lines):
#   # args: a b 'c d'     arguments, parsed with shell quoting (eval set --)
#   # stdin: FILE         feed test/diff/stdin/FILE as standard input
#                         (default: /dev/null)
# A script whose first line is `#!/bin/sh` is compared against dash, every
# other script against bash.
#
# Both runs get the same absolute script path, the same working directory
# path (a fresh empty directory each time), the same HOME path (fresh too)
# and the same clean environment.  stdout, stderr, the exit status and the
# files left in the working directory (type, mode, name, content hash) are
# compared.  Exit 0 when everything is identical, 1 otherwise (with unified
# diffs of what differed on stdout), 1 also on a usage or setup error.
#
# Environment: CAIRN_DIFF_TIMEOUT (seconds per run, default 30),
# CAIRN_DIFF_CACHED=1 compares a second cairn run served from the cache,
# CAIRN_DIFF_REPLAY=1|nocache a `cairn replay` of the recorded session,
# CAIRN_DIFF_KEEP=1 keeps the scratch directory (both trees and outputs).

set -u

me=compare.sh
die() { printf '%s: %s\n' "$me" "$*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: compare.sh CAIRN_BINARY SCRIPT"
cairn_arg=$1
script_arg=$2

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P) || die "cannot find own directory"

# --- the cairn binary: must exist; made absolute since runs happen elsewhere
case $cairn_arg in
*/*) cairn=$(realpath -e -- "$cairn_arg" 2>/dev/null) || cairn= ;;
*) cairn=$(command -v -- "$cairn_arg" 2>/dev/null) || cairn= ;;
esac
if [ -z "$cairn" ] || [ ! -f "$cairn" ] || [ ! -x "$cairn" ]; then
	die "cairn binary not found or not executable: $cairn_arg"
fi

# --- the script: absolute path, the same string for both runs
[ -f "$script_arg" ] || die "no such script: $script_arg"
script=$(realpath -e -- "$script_arg") || die "cannot resolve $script_arg"

# --- header lines
args=()
stdin_file=/dev/null
first_line=
lineno=0
while IFS= read -r line || [ -n "$line" ]; do
	lineno=$((lineno + 1))
	[ $lineno -eq 1 ] && first_line=$line
	case $line in
	'#'*) ;;
	*) break ;;
	esac
	case $line in
	'# args:'*)
		spec=${line#'# args:'}
		eval "set -- $spec" || die "$script_arg: bad '# args:' line: $line"
		args=("$@")
		;;
	'# stdin:'*)
		spec=${line#'# stdin:'}
		spec=${spec#"${spec%%[![:space:]]*}"}
		spec=${spec%"${spec##*[![:space:]]}"}
		[ -n "$spec" ] || die "$script_arg: empty '# stdin:' line"
		case $spec in
		/*) stdin_file=$spec ;;
		*) stdin_file=$here/stdin/$spec ;;
		esac
		[ -f "$stdin_file" ] || die "$script_arg: stdin file not found: $stdin_file"
		;;
	esac
done <"$script"

# --- the reference shell
if [[ $first_line =~ ^#![[:space:]]*/bin/sh([[:space:]]|$) ]]; then
	refname=dash
else
	refname=bash
fi
clean_path=/usr/local/bin:/usr/bin:/bin
refshell=$(PATH=$clean_path command -v "$refname") || die "reference shell $refname not found"

# --- scratch space: BASE/work is the cwd of both runs, BASE/home is HOME
base=$(mktemp -d "${TMPDIR:-/tmp}/cairn-diff.XXXXXX") || die "mktemp failed"
base=$(cd "$base" && pwd -P)
cleanup() {
	if [ -n "${CAIRN_DIFF_KEEP:-}" ]; then
		printf "%s: kept %s\n" "$me" "$base" >&2
		return
	fi
	chmod -R u+rwx "$base" 2>/dev/null
	rm -rf "$base"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
work=$base/work
home=$base/home
timeout_s=${CAIRN_DIFF_TIMEOUT:-30}

fresh_dirs() {
	if [ -e "$work" ]; then chmod -R u+rwx "$work" 2>/dev/null; rm -rf "$work"; fi
	if [ -e "$home" ]; then chmod -R u+rwx "$home" 2>/dev/null; rm -rf "$home"; fi
	mkdir "$work" "$home" || die "cannot create $work or $home"
}

# run TAG CMD...: run CMD in a fresh $work with the clean environment;
# leaves BASE/TAG.out, TAG.err, TAG.status, TAG.files.
run() {
	local tag=$1
	shift
	fresh_dirs
	# cairn records into the store of the directory it runs in; made
	# beforehand so that cairn does not announce a new one.
	[ "$tag" = cairn ] && mkdir "$work/.cairn"
	(
		cd "$work" || exit 125
		exec timeout -k 5 "$timeout_s" \
			env -i PATH="$clean_path" HOME="$home" LANG=C.UTF-8 TERM=dumb "$@"
	) <"$stdin_file" >"$base/$tag.out" 2>"$base/$tag.err"
	echo $? >"$base/$tag.status"
	list_files >"$base/$tag.files"
	chmod -R u+rwx "$work" 2>/dev/null
	mv "$work" "$base/$tag.tree"
}

# One line per file left in $work: type, octal mode, path, and for a regular
# file its size and a content hash (for a symlink its target).
list_files() {
	(
		cd "$work" || exit 0
		find . -mindepth 1 -path ./.cairn -prune -o -print0 | LC_ALL=C sort -z |
			while IFS= read -r -d '' p; do
				if [ -L "$p" ]; then
					printf 'l %s -> %s\n' "$p" "$(readlink -- "$p")"
				elif [ -d "$p" ]; then
					printf 'd %s %s\n' "$(stat -c %a -- "$p")" "$p"
				elif [ -f "$p" ]; then
					printf 'f %s %s size=%s sha256=%s\n' "$(stat -c %a -- "$p")" "$p" \
						"$(stat -c %s -- "$p")" "$(sha256sum <"$p" 2>/dev/null | cut -c1-16)"
				elif [ -p "$p" ]; then
					printf 'p %s %s\n' "$(stat -c %a -- "$p")" "$p"
				else
					printf '? %s\n' "$p"
				fi
			done
	)
}

# CAIRN_DIFF_RELATIVE=1: name the script by a path relative to the
# working directory instead (the same string for both runs).
if [ -n "${CAIRN_DIFF_RELATIVE:-}" ]; then
	mkdir -p "$work"
	script=$(realpath -m --relative-to="$work" -- "$script") || die "cannot relativise $script"
fi

run ref "$refshell" "$script" "${args[@]}"
run cairn "$cairn" run "$script" "${args[@]}"
# CAIRN_DIFF_CACHED=1: run again in a fresh working directory that keeps
# only the store, so that steps come from the cache (outputs restored,
# output replayed, state restored): that run must match the shell too.
# CAIRN_DIFF_REPLAY=1 (or =nocache): the same, but `cairn replay` of the
# session the first run recorded (its steps rebuilt from the records;
# with =nocache every step runs again).
if [ -n "${CAIRN_DIFF_CACHED:-}" ] || [ -n "${CAIRN_DIFF_REPLAY:-}" ]; then
	how=(run "$script" "${args[@]}")
	case ${CAIRN_DIFF_REPLAY:-} in
	'') ;;
	nocache) how=(-q replay --no-cache) ;;
	*) how=(-q replay) ;;
	esac
	mv "$base/cairn.tree/.cairn" "$base/store" || die "no store after the first run"
	mv "$base/cairn.status" "$base/cairn1.status"
	fresh_dirs
	mv "$base/store" "$work/.cairn"
	(
		cd "$work" || exit 125
		exec timeout -k 5 "$timeout_s" \
			env -i PATH="$clean_path" HOME="$home" LANG=C.UTF-8 TERM=dumb \
			"$cairn" "${how[@]}"
	) <"$stdin_file" >"$base/cairn.out" 2>"$base/cairn.err"
	echo $? >"$base/cairn.status"
	list_files >"$base/cairn.files"
	chmod -R u+rwx "$work" 2>/dev/null
	rm -rf "$base/cairn.tree"
	mv "$work" "$base/cairn.tree"
fi

# --- compare
name=${script##*/}
failed=0
show_diff() { # WHAT
	local what=$1 n
	if ! cmp -s "$base/ref.$what" "$base/cairn.$what"; then
		failed=1
		printf '=== %s: %s differs (--- %s, +++ cairn)\n' "$name" "$what" "$refname"
		diff -u --label "$refname $what" --label "cairn $what" \
			"$base/ref.$what" "$base/cairn.$what" >"$base/diff.$what"
		n=$(wc -l <"$base/diff.$what")
		if [ "$n" -gt 300 ]; then
			head -n 300 "$base/diff.$what"
			printf '... (%s more diff lines)\n' $((n - 300))
		else
			cat "$base/diff.$what"
		fi
	fi
}
show_diff status
show_diff out
show_diff err
show_diff files
if ! cmp -s "$base/ref.files" "$base/cairn.files"; then
	printf '=== %s: file contents (diff -r, %s tree vs cairn tree)\n' "$name" "$refname"
	diff -ru -x .cairn "$base/ref.tree" "$base/cairn.tree" 2>&1 |
		sed "s|$base/ref.tree|$refname|g; s|$base/cairn.tree|cairn|g" | head -n 200
fi
for tag in ref cairn; do
	if [ "$(cat "$base/$tag.status")" = 124 ]; then
		printf '=== %s: %s run timed out after %ss\n' "$name" "$tag" "$timeout_s"
		failed=1
	fi
done

if [ $failed -ne 0 ]; then
	printf '=== %s: FAIL (script %s, args:%s, stdin %s, cwd %s)\n' "$name" "$script" \
		"${args[*]+$(printf " %q" "${args[@]}")}" "$stdin_file" "$work"
	exit 1
fi
printf '%s: ok (against %s)\n' "$name" "$refname"
exit 0
