function f() ( echo h )
function g
{ :; }
f () { :; }
h() if :; then :; fi
