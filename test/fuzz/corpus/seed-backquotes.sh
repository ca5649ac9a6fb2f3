echo `echo \`echo a\``
x=`date`
echo "`echo \"q\"`"
