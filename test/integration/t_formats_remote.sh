#!/bin/bash
# ctest-labels: slow
# A network step reads a GeoTIFF over HTTP through GDAL's /vsicurl/ from
# an nginx on loopback: its record lists the remote read with the
# server's validators (ETag, Last-Modified, size), and after the served
# file is replaced, the validators cairn asks for have changed.
. "$TEST_SRC/test/integration/lib.sh"
. "$TEST_SRC/test/integration/formats_lib.sh"
need nginx gdal_translate gdalinfo "$EGM96"

# nginx, unprivileged on 127.0.0.1, everything under the test directory.
# Its workers may run as nobody: the served tree must be readable.
chmod 755 "$T_DIR"
mkdir -p www ngx/logs ngx/tmp
make_dem www/dem.tif
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > ngx/nginx.conf <<C
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
}
C
nginx -p "$T_DIR/ngx" -e "$T_DIR/ngx/logs/error.log" -c "$T_DIR/ngx/nginx.conf" -g 'daemon off;' &
NGINX_PID=$!
trap 'kill $NGINX_PID 2>/dev/null; wait $NGINX_PID 2>/dev/null; rm -rf "$T_DIR"' EXIT
for _ in $(seq 300); do
	curl -fsI "http://127.0.0.1:$PORT/dem.tif" >/dev/null 2>&1 && break
	sleep 0.1
done
URL="http://127.0.0.1:$PORT/dem.tif"
etag_now() { curl -fsI "$URL" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p'; }
ETAG1=$(etag_now)
expect_match "nginx serves the GeoTIFF with an ETag" '^".+"$' "$ETAG1"

cat > remote.sh <<S
export GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR
#cairn: net
gdalinfo /vsicurl/$URL > info.txt
S
run_cairn run remote.sh
expect_eq "run: status" 0 "$RC"
expect_match "gdalinfo read the remote file" "Size is 1440, 721" "$(cat info.txt)"
expect_eq "the step ran with the network" "True" "$(rec @1 'r["sandbox"]["network"]')"
expect_eq "remote read: kind" "remote" "$(rec @1 "reads()['/vsicurl/$URL']['kind']")"
expect_eq "remote read: url" "$URL" "$(rec @1 "reads()['/vsicurl/$URL']['url']")"
expect_eq "remote read: etag" "$ETAG1" "$(rec @1 "reads()['/vsicurl/$URL']['etag']")"
expect_eq "remote read: size" "$(stat -c %s www/dem.tif)" "$(rec @1 "reads()['/vsicurl/$URL']['size']")"
expect_eq "remote read: no content hash" "None" "$(rec @1 "reads()['/vsicurl/$URL']['sha256']")"
expect_match "remote read: last_modified" "GMT$" "$(rec @1 "reads()['/vsicurl/$URL']['last_modified']")"
expect_eq "reads stay sorted by path" "True" "$(rec @1 '[x["path"] for x in r["reads"]] == sorted(x["path"] for x in r["reads"])')"

# The validators are asked for with the step's GDAL configuration: here
# one that forbids .tif over /vsicurl/, so the query fails and says so.
# The same step again: the server says the same validators, so it is a
# cache hit (its only network use is that recorded dataset).
run_cairn run remote.sh
expect_eq "rerun: status" 0 "$RC"
expect_eq "rerun: served from the cache" "True" "$(rec @1 'r["cached"] and r["sandbox"]["network"]')"
run_cairn why @1
expect_match "why: hit" "served from the cache" "$OUT"
[ "$(rec @1 'r["cached"]')" = True ] || echo "$OUT" >&2

cat > config.sh <<S
export CPL_VSIL_CURL_ALLOWED_EXTENSIONS=.xyz
#cairn: net
gdalinfo /vsicurl/$URL > info3.txt 2>&1 || true
S
run_cairn run config.sh
expect_eq "step's GDAL config: status" 0 "$RC"
expect_eq "step's GDAL config: the query obeyed it" "(None, True)" \
	"$(rec @1 "reads()['/vsicurl/$URL']['etag'], 'error' in reads()['/vsicurl/$URL']")"
expect_eq "step's GDAL config: url kept" "$URL" "$(rec @1 "reads()['/vsicurl/$URL']['url']")"

# Without the network directive the step cannot reach the server, and
# nothing remote is recorded.
cat > nonet.sh <<S
export GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR
gdalinfo /vsicurl/$URL > info2.txt 2>&1 || true
S
run_cairn run nonet.sh
expect_eq "no net: no remote read" "[]" "$(rec @1 '[x for x in r["reads"] if x["kind"] == "remote"]')"

# The validators cairn asks for now (what the cache will compare), before
# and after the served file is replaced.
run_cairn info --remote "/vsicurl/$URL" --json
expect_eq "validators: status" 0 "$RC"
expect_eq "validators: same etag as recorded" "$ETAG1" \
	"$(echo "$OUT" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["etag"])')"
gdal_translate -q -scale -outsize 50% 50% www/dem.tif www/dem2.tif
mv www/dem2.tif www/dem.tif
ETAG2=$(etag_now)
run_cairn info --remote "/vsicurl/$URL" --json
expect_eq "validators after replacing: status" 0 "$RC"
expect_eq "validators after replacing: the server's new etag" "$ETAG2" \
	"$(echo "$OUT" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["etag"])')"
if [ "$ETAG1" = "$ETAG2" ]; then
	fail "the replaced file has the same ETag: the test proves nothing"
fi
expect_eq "validators after replacing: size" "$(stat -c %s www/dem.tif)" \
	"$(echo "$OUT" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["size"])')"

# A missing remote object is an error, not a crash.
# The served file changed: the step runs again and `why` names the ETag.
run_cairn run remote.sh
expect_eq "after replacing: status" 0 "$RC"
expect_eq "after replacing: ran" "False" "$(rec @1 'r["cached"]')"
expect_match "after replacing: new size read" "Size is 720, 360" "$(cat info.txt)"
run_cairn why @1
expect_match "why: etag" "/vsicurl/$URL: remote etag changed" "$OUT"
# A network step that does more than read recorded datasets is not cached.
cat > curl.sh <<S
#cairn: net
curl -fs -o got.tif $URL
S
run_cairn run curl.sh
run_cairn run curl.sh
expect_eq "curl step: never cached" "False" "$(rec @1 'r["cached"]')"

run_cairn info --remote "/vsicurl/http://127.0.0.1:$PORT/missing.tif"
expect_eq "missing remote object: status" 1 "$RC"
expect_match "missing remote object: message" "missing.tif" "$ERR"

done_testing
