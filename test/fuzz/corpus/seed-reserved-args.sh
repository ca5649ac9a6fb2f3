echo if then fi done esac
for x in a; do echo a; done
echo a; echo done
