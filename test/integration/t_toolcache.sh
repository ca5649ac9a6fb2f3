# ctest-labels: slow
# Tool caches under $HOME (docs/cache.md, "Tool caches"): ~/.cache and
# the other cache.toolCacheDirs are a layer of cairn's own that lasts
# across sessions; what a tool caches there is neither an input nor an
# output, so a plotting step is stored, served in the next session, and
# matplotlib's font cache is built once.  The real directories are left
# alone.  Runs with a $HOME of the test's own.
. "$TEST_SRC/test/integration/lib.sh"

export HOME="$T_DIR/home"
unset XDG_CACHE_HOME XDG_CONFIG_HOME
mkdir -p "$HOME/.cache" proj/.cairn
echo "the user's own" >"$HOME/.cache/canary"
cd proj || exit 1

last() { # FIELD...: of the newest record
	"$CAIRN" show --json @1 | python3 -c '
import json, sys
r = json.load(sys.stdin)
r = r.get("record", r)
for f in sys.argv[1:]:
    v = r
    for k in f.split("."):
        v = v.get(k) if isinstance(v, dict) else None
    print(json.dumps(v))' "$@"
}

# 1. A step writing in ~/.cache is stored; the next session finds what
# it wrote there; the real ~/.cache is neither seen nor changed.
printf 'mkdir -p ~/.cache/tool && { [ -e ~/.cache/tool/db ] && echo warm || echo cold; } > state.txt; echo x > ~/.cache/tool/db; ls ~/.cache > seen.txt\n' >c.sh
"$CAIRN" run c.sh </dev/null
expect_eq "first session: cold" "cold" "$(cat state.txt)"
expect_eq "stored (not a home write)" "[] null" "$(last sandbox.home_writes cache.not_stored | tr '\n' ' ' | sed 's/ $//')"
expect_match "its tool cache writes are listed" "tool/db" "$(last sandbox.tool_cache_writes)"
expect_eq "the real ~/.cache is not seen" "tool" "$(cat seen.txt)"
expect_eq "the real ~/.cache is untouched" "canary" "$(ls "$HOME/.cache" | grep -v '^cairn$')"
expect_eq "cairn keeps it" "x" "$(cat "$HOME/.cache/cairn/tools/.cache/tool/db")"
printf '{ [ -e ~/.cache/tool/db ] && echo warm || echo cold; } > state2.txt\n' >w.sh
"$CAIRN" run w.sh </dev/null
expect_eq "next session: warm" "warm" "$(cat state2.txt)"
expect_eq "and not an input: reading it did not make a trace of it" "[]" \
	"$(last reads | python3 -c 'import json,sys; print(json.dumps([r["path"] for r in json.load(sys.stdin) if "/.cache" in r["path"]]))')"

# 2. A matplotlib plot: stored, served in the next session, the font
# cache built once.
if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
	cat >plot.sh <<'EOS'
/usr/bin/python3 -c 'import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt; plt.plot([1, 2, 3]); plt.title("one"); plt.savefig("p.png")'
EOS
	"$CAIRN" run plot.sh </dev/null
	expect_eq "plot: stored" "null" "$(last cache.not_stored)"
	expect_match "plot: the font cache was built" "fontlist" "$(last sandbox.tool_cache_writes)"
	sha=$(sha256sum <p.png)
	rm p.png
	"$CAIRN" run plot.sh </dev/null
	expect_eq "plot: served in the next session" "true" "$(last cached)"
	expect_eq "plot: the same picture" "$sha" "$(sha256sum <p.png)"
	sed -i 's/"one"/"two"/' plot.sh
	"$CAIRN" run plot.sh </dev/null
	expect_eq "another plot runs" "false" "$(last cached)"
	expect_eq "and does not build the font cache again" "[]" "$(last sandbox.tool_cache_writes)"
else
	echo "t_toolcache: python3-matplotlib is not installed: the plot part not run" >&2
fi

# 3. cache.toolCacheDirs none: ~/.cache is the session's, a home write.
git config --file .cairn/config cache.toolCacheDirs none
printf 'echo y > ~/.cache/other\n' >n.sh
"$CAIRN" run n.sh </dev/null
expect_match "none: a home write again" "wrote in \\\$HOME" "$(last cache.not_stored)"

# 4. Directories a step made in $HOME and left empty go from the
# session's layer after it -- never through a link the step made there:
# a harmless canary (an empty directory of the test's) stays.
git config --file .cairn/config --unset-all cache.toolCacheDirs
mkdir -p "$T_DIR/victim" "$T_DIR/canary_dir"
printf 'ln -s %s ~/lnk\nmkdir ~/lnk/../canary_dir 2>/dev/null; true\nmkdir -p ~/.made/empty\n' "$T_DIR/victim" >l.sh
"$CAIRN" run l.sh </dev/null
expect_eq "the canary directory stays" "present" "$([ -d "$T_DIR/canary_dir" ] && echo present || echo absent)"
expect_eq "an empty directory made in \$HOME is no home write" "null" "$(last cache.not_stored)"

# 5. A bad setting stops before anything runs.
git config --file .cairn/config --unset-all cache.toolCacheDirs
git config --file .cairn/config cache.toolCacheDirs /etc
run_cairn -c 'echo ran > bad.txt'
expect_eq "bad setting: status" 125 "$RC"
expect_match "bad setting: message" "cache.toolCacheDirs = /etc" "$ERR"
expect_eq "bad setting: nothing ran" "absent" "$([ -e bad.txt ] && echo present || echo absent)"

# 6. (REVIEW17 H10) A project under ~/.cache runs with the default
# list (that entry is left out); with XDG_CACHE_HOME inside the project
# there is no tool cache (steps would write project files past the
# commit).
cd "$T_DIR" || exit 1
mkdir -p "$HOME/.cache/inproj/.cairn"
(cd "$HOME/.cache/inproj" && "$CAIRN" -c 'echo ran >ran.txt' </dev/null)
expect_eq "a project under ~/.cache runs" "ran" "$(cat "$HOME/.cache/inproj/ran.txt" 2>&1)"
mkdir -p xp/.cairn
(cd xp && XDG_CACHE_HOME="$T_DIR/xp/cache" "$CAIRN" -c 'mkdir -p ~/.cache/t; echo x > ~/.cache/t/f' </dev/null)
expect_eq "XDG_CACHE_HOME in the project: nothing written there" "absent" "$([ -e xp/cache ] && echo present || echo absent)"

done_testing
