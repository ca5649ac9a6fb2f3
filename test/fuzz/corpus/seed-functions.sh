f() { echo f; }
function g { echo g; }
function h() ( echo h )
k() if true; then :; fi
m() ((1))
n() [[ -f x ]]
outer() {
  inner() { :; }
}
r() { :; } > /dev/null 2>&1
