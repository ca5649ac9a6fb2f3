{ echo a; echo b; }
{ echo; } 2>&1
( cd /tmp; ls )
{echo
echo }
