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
# Modes (CAIRN_DIFF_MODES, a list; default "abs"), each compared with the
# reference shell on its own:
#   abs     cairn run /abs/SCRIPT
#   cached  a second cairn run in a fresh directory that keeps only the
#           store of the abs run: every step is served from the cache
#   replay  `cairn replay --no-cache` of the session the abs run recorded
#   replayc the same through the cache
#   rel     the script named by a path relative to the working directory
#           (the reference shell is run that way too)
#   renamed a copy of the script under another name, run by cairn in a
#           fresh directory that keeps only the store of the abs run (the
#           reference shell runs the copy too): what the cache serves to
#           a renamed script
# cached, replay, replayc and renamed start from the store the abs run
# left (abs is run first when it is not listed).
# CAIRN_DIFF_EXPECT lists the modes known to differ (test/diff/
# known-differences.txt): such a mode must differ, and one that starts to
# match fails the test until the script is taken off the list.
# Environment: CAIRN_DIFF_TIMEOUT (seconds per run, default 30),
# CAIRN_DIFF_KEEP=1 keeps the scratch directory (every tree and output).
# Older knobs still work: CAIRN_DIFF_CACHED=1 means modes "cached",
# CAIRN_DIFF_REPLAY=nocache "replay" (=1 "replayc"), CAIRN_DIFF_RELATIVE=1
# "rel".

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
# leaves BASE/TAG.out, TAG.err, TAG.status, TAG.files, TAG.tree.  With
# STORE=DIR, DIR is copied in as the run's store first.
run() {
	local tag=$1
	shift
	fresh_dirs
	# cairn records into the store of the directory it runs in; made
	# beforehand so that cairn does not announce a new one.
	if [ -n "${STORE:-}" ]; then
		cp -a "$STORE" "$work/.cairn" || die "cannot copy the store"
	elif [ "$1" = "$cairn" ]; then
		mkdir "$work/.cairn"
	fi
	(
		cd "$work" || exit 125
		exec timeout -k 5 "$timeout_s" \
			env -i PATH="$clean_path" HOME="$home" LANG=C.UTF-8 TERM=dumb "$@"
	) <"$stdin_file" >"$base/$tag.out" 2>"$base/$tag.err"
	echo $? >"$base/$tag.status"
	list_files >"$base/$tag.files"
	chmod -R u+rwx "$work" 2>/dev/null
	rm -rf "$base/$tag.tree"
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

# --- modes
modes=${CAIRN_DIFF_MODES:-}
if [ -z "$modes" ]; then
	[ -n "${CAIRN_DIFF_CACHED:-}" ] && modes="$modes cached"
	case ${CAIRN_DIFF_REPLAY:-} in
	'') ;;
	nocache) modes="$modes replay" ;;
	*) modes="$modes replayc" ;;
	esac
	[ -n "${CAIRN_DIFF_RELATIVE:-}" ] && modes="$modes rel"
	[ -n "$modes" ] || modes=abs
fi
expect=" ${CAIRN_DIFF_EXPECT:-} "
for m in $modes; do
	case $m in
	abs | cached | replay | replayc | rel | renamed) ;;
	*) die "unknown mode: $m (abs, cached, replay, replayc, rel, renamed)" ;;
	esac
done

# --- compare
name=${script##*/}
failed=0
# compare REF TAG MODE: the run TAG against the reference run REF; 0 when
# they are identical, else 1 (with the differences on stdout).
compare() {
	local ref=$1 tag=$2 mode=$3 what n differs=0
	for what in status out err files; do
		if ! cmp -s "$base/$ref.$what" "$base/$tag.$what"; then
			differs=1
			printf '=== %s [%s]: %s differs (--- %s, +++ cairn)\n' "$name" "$mode" "$what" "$refname"
			diff -u --label "$refname $what" --label "cairn $what" \
				"$base/$ref.$what" "$base/$tag.$what" >"$base/diff.$what"
			n=$(wc -l <"$base/diff.$what")
			if [ "$n" -gt 300 ]; then
				head -n 300 "$base/diff.$what"
				printf '... (%s more diff lines)\n' $((n - 300))
			else
				cat "$base/diff.$what"
			fi
		fi
	done
	if ! cmp -s "$base/$ref.files" "$base/$tag.files"; then
		printf '=== %s [%s]: file contents (diff -r, %s tree vs cairn tree)\n' "$name" "$mode" "$refname"
		diff -ru -x .cairn "$base/$ref.tree" "$base/$tag.tree" 2>&1 |
			sed "s|$base/$ref.tree|$refname|g; s|$base/$tag.tree|cairn|g" | head -n 200
	fi
	for t in "$ref" "$tag"; do
		if [ "$(cat "$base/$t.status")" = 124 ]; then
			printf '=== %s [%s]: %s run timed out after %ss\n' "$name" "$mode" "$t" "$timeout_s"
			differs=1
		fi
	done
	return $differs
}

# judge MODE REF TAG: compare, and weigh the result against CAIRN_DIFF_EXPECT.
judge() {
	local mode=$1 verdict
	if compare "$2" "$3" "$mode"; then
		verdict=same
	else
		verdict=differs
	fi
	case "$expect" in
	*" $mode "*)
		if [ $verdict = same ]; then
			printf '=== %s [%s]: matches %s now, but is listed in known-differences.txt: take it off\n' \
				"$name" "$mode" "$refname"
			failed=1
		else
			printf '%s [%s]: differs, as known-differences.txt says\n' "$name" "$mode"
		fi
		;;
	*)
		if [ $verdict = same ]; then
			printf '%s [%s]: ok (against %s)\n' "$name" "$mode" "$refname"
		else
			failed=1
		fi
		;;
	esac
}

case " $modes " in
*" abs "* | *" cached "* | *" replay "* | *" replayc "* | *" renamed "*)
	run ref "$refshell" "$script" "${args[@]}"
	run cairn "$cairn" run "$script" "${args[@]}"
	cp -a "$base/cairn.tree/.cairn" "$base/store" || die "no store after the cairn run"
	case " $modes " in *" abs "*) judge abs ref cairn ;; esac
	for m in cached replay replayc; do
		case " $modes " in *" $m "*) ;; *) continue ;; esac
		case $m in
		cached) how=(run "$script" "${args[@]}") ;;
		replay) how=(-q replay --no-cache) ;;
		replayc) how=(-q replay) ;;
		esac
		STORE=$base/store run "cairn-$m" "$cairn" "${how[@]}"
		judge "$m" ref "cairn-$m"
	done
	case " $modes " in
	*" renamed "*)
		mkdir -p "$base/renamed"
		renamed=$base/renamed/renamed-$name
		cp -p "$script" "$renamed" || die "cannot copy $script"
		run ref-renamed "$refshell" "$renamed" "${args[@]}"
		STORE=$base/store run cairn-renamed "$cairn" run "$renamed" "${args[@]}"
		judge renamed ref-renamed cairn-renamed
		;;
	esac
	;;
esac
case " $modes " in
*" rel "*)
	# The script named by a path relative to the working directory (the
	# same string for both runs).
	mkdir -p "$work"
	rscript=$(realpath -m --relative-to="$work" -- "$script") || die "cannot relativise $script"
	run ref-rel "$refshell" "$rscript" "${args[@]}"
	run cairn-rel "$cairn" run "$rscript" "${args[@]}"
	judge rel ref-rel cairn-rel
	;;
esac

if [ $failed -ne 0 ]; then
	printf '=== %s: FAIL (modes:%s; script %s, args:%s, stdin %s, cwd %s)\n' "$name" " $modes" \
		"$script" "${args[*]+$(printf " %q" "${args[@]}")}" "$stdin_file" "$work"
	exit 1
fi
exit 0
