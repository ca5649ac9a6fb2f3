#!/bin/bash
# cd - and OLDPWD carried between commands.
mkdir -p a/b c
cd a/b
cd ../../c
echo "OLDPWD ends with: ${OLDPWD#"${OLDPWD%/*/*}/"}"
cd - > /dev/null
echo "back in: ${PWD##*/}"
cd -
echo "now in: ${PWD##*/}"
cd
echo "HOME cd ok: $([ "$PWD" = "$HOME" ] && echo yes)"
cd "$OLDPWD"
echo "returned to: ${PWD##*/}"
