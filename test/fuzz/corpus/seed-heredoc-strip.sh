cat <<-EOF
	indented
	EOF
