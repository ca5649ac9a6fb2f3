#!/bin/bash
# cairn rerun --with data/a.tif=https://...: the local DEM swapped for one
# served by an nginx on loopback over TLS, with a certificate made here
# that the pipeline trusts (CURL_CA_BUNDLE, SSL_CERT_FILE).  The GDAL step reads it through
# /vsicurl/, runs with the network, and its record says so: a remote
# read with the server's validators and sandbox.network true.
. "$TEST_SRC/test/integration/lib.sh"
. "$TEST_SRC/test/integration/formats_lib.sh"
need gdaldem gdal_translate "$EGM96"
if ! command -v nginx >/dev/null 2>&1; then
	if [ -n "${CI:-}" ]; then
		fail "nginx is missing (scripts/install-deps installs it)"
		done_testing
	fi
	echo "$T_NAME: nginx not installed, skipped" >&2
	exit 0
fi

chmod 755 "$T_DIR"
mkdir -p www ngx/logs ngx/tmp data
gdal_translate -q -srcwin 100 100 60 50 "$EGM96" data/a.tif
gdal_translate -q -srcwin 700 300 60 50 "$EGM96" www/b.tif
chmod -R a+rX www
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
TLS_PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout ngx/key.pem -out ca.pem >/dev/null 2>&1 ||
	fail "cannot make a certificate"
chmod 644 ca.pem
cat >ngx/nginx.conf <<C
worker_processes 1;
pid $T_DIR/ngx/nginx.pid;
error_log $T_DIR/ngx/logs/error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $T_DIR/ngx/tmp/body;
	proxy_temp_path $T_DIR/ngx/tmp/proxy;
	fastcgi_temp_path $T_DIR/ngx/tmp/fastcgi;
	uwsgi_temp_path $T_DIR/ngx/tmp/uwsgi;
	scgi_temp_path $T_DIR/ngx/tmp/scgi;
	server {
		listen 127.0.0.1:$PORT;
		root $T_DIR/www;
	}
	server {
		listen 127.0.0.1:$TLS_PORT ssl;
		ssl_certificate $T_DIR/ca.pem;
		ssl_certificate_key $T_DIR/ngx/key.pem;
		root $T_DIR/www;
	}
}
C
nginx -p "$T_DIR/ngx" -e "$T_DIR/ngx/logs/error.log" -c "$T_DIR/ngx/nginx.conf" -g 'daemon off;' &
NGINX_PID=$!
trap 'kill $NGINX_PID 2>/dev/null; wait $NGINX_PID 2>/dev/null; rm -rf "$T_DIR"' EXIT
for _ in $(seq 300); do
	curl -fsI --cacert ca.pem "https://127.0.0.1:$TLS_PORT/b.tif" >/dev/null 2>&1 && break
	sleep 0.1
done
URL="https://127.0.0.1:$TLS_PORT/b.tif"

cat >pipeline.sh <<EOF
export GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR
export CURL_CA_BUNDLE=$T_DIR/ca.pem SSL_CERT_FILE=$T_DIR/ca.pem
dem=data/a.tif
mkdir -p out
gdaldem slope -q "\$dem" out/slope.tif
gdal_translate -q -of AAIGrid out/slope.tif out/slope.asc
EOF
run_cairn run pipeline.sh
expect_eq "run" 0 "$RC"
expect_eq "the original step had no network" "False" "$(rec @2 'r["sandbox"]["network"]')"
cp out/slope.asc old.asc

run_cairn rerun out/slope.asc --with "data/a.tif=$URL"
expect_eq "rerun: status" 0 "$RC"
expect_match "rerun: summary" "substituted data/a.tif -> $URL" "$ERR"
cmp -s out/slope.asc old.asc && fail "rerun: out/slope.asc not rebuilt"
# The slope step is the second newest record.
expect_eq "slope step: network" "True" "$(rec @2 'r["sandbox"]["network"]')"
expect_eq "slope step: remote read" "remote $URL" "$(rec @2 "' '.join([reads()['/vsicurl/$URL']['kind'], reads()['/vsicurl/$URL']['url']])")"
expect_eq "slope step: GDAL got /vsicurl/" 'declare -- dem="/vsicurl/'"$URL"'"' "$(rec @2 '[v for v in r["start_state"]["vars"] if v.startswith("declare -- dem=")][0]')"
expect_eq "slope step: rerun names the URL" "$URL" "$(rec @2 'r["rerun"]["with"][0]["new"]')"
expect_eq "downstream step: no network" "False" "$(rec @1 'r["sandbox"]["network"]')"
gdaldem slope -q "www/b.tif" expect.tif
expect_eq "rebuilt from the served DEM" "True" "$("$PY" -c '
import sys
from osgeo import gdal
a = gdal.Open(sys.argv[1]).ReadAsArray(); b = gdal.Open(sys.argv[2]).ReadAsArray()
print((a == b).all())' out/slope.tif expect.tif)"

# A program that is not GDAL's cannot read a URL: refused before running.
cat >text.sh <<'EOF'
cat data/a.tif > out/copy.bin
EOF
run_cairn run text.sh
N=$("$CAIRN" log --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
run_cairn rerun out/copy.bin --with "data/a.tif=$URL"
expect_eq "URL to cat: status" 2 "$RC"
expect_match "URL to cat: message" "with cat, which is not a GDAL program" "$ERR"
expect_eq "URL to cat: nothing recorded" "$N" "$("$CAIRN" log --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"

done_testing
