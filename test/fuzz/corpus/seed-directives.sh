#cairn: net
echo a
  #cairn:  timeout=600  
echo b
#cairn: trailing
