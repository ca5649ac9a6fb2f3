#!/bin/bash
# Parse a key=value config into variables and an associative array, then
# use them to drive later steps.
cat > run.conf <<'EOF'
# experiment configuration
name = trial_A
replicates = 3
threshold=0.05
output_dir = results/trial_A

verbose = true
EOF
declare -A conf
while IFS='=' read -r key value; do
  key=${key//[[:space:]]/}
  [[ -z $key || $key == \#* ]] && continue
  value=${value#"${value%%[![:space:]]*}"}
  conf[$key]=$value
done < run.conf
echo "keys: $(printf '%s\n' "${!conf[@]}" | sort | tr '\n' ' ')"
mkdir -p "${conf[output_dir]}"
for ((r = 1; r <= conf[replicates]; r++)); do
  echo "${conf[name]} rep $r thr ${conf[threshold]}" > "${conf[output_dir]}/rep$r.txt"
done
ls "${conf[output_dir]}"
[[ ${conf[verbose]} == true ]] && cat "${conf[output_dir]}"/rep*.txt
