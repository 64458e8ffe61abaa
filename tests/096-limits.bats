#!/usr/bin/env bats
# Rate limits ([limits] per_ip, per_source, burst): token buckets shared
# by every FastCGI and CGI process of the deployment, through lighttpd.

load helpers/common
load helpers/lighttpd

JSON='Content-Type: application/json'
EVENT='[{"event_type":"t","event_id":"e","timestamp":1667877566697,"app_id":"test_release"}]'

setup()
{
	sl_common_setup
	STATE="$BATS_TEST_TMPDIR/lighttpd"
	SPOOL="$STATE/spool"
}

teardown()
{
	lighttpd_stop
}

# serve PROCS [LINE...]: lighttpd with the suite's two apps.
serve()
{
	local procs="$1"

	shift
	lighttpd_serve "$STATE" "$procs" '[app test_release]' '[app test_other]' "$@"
}

# POST /collect as fast as one curl goes (20 requests a run), from address $1, until $2
# (epoch seconds); one status per line on stdout.
hammer()
{
	local ip="$1" until="$2" i urls=()

	# One curl, one connection, 20 requests (--next: each its own).
	for i in $(seq 20); do
		[ "$i" -eq 1 ] || urls+=(--next)
		urls+=(-s -o /dev/null -w '%{http_code}\n' -H "$JSON" \
			-H "X-Forwarded-For: $ip" --data "$EVENT" \
			"$LIGHTTPD_URL/collect?appId=test_release")
	done
	while [ "$(date +%s)" -lt "$until" ]; do
		curl "${urls[@]}"
	done
}

# The same through sluice.cgi, run as the web server would.
hammer_cgi()
{
	local ip="$1" until="$2"

	printf '%s' "$EVENT" >"$BATS_TEST_TMPDIR/event"
	while [ "$(date +%s)" -lt "$until" ]; do
		env -i SLUICE_CONFIG="$STATE/sluice.conf" REQUEST_METHOD=POST \
			PATH_INFO=/collect QUERY_STRING=appId=test_release \
			CONTENT_TYPE=application/json CONTENT_LENGTH=${#EVENT} \
			REMOTE_ADDR="$ip" ASAN_OPTIONS="${ASAN_OPTIONS:-}" \
			"$(sl_bin sluice.cgi)" <"$BATS_TEST_TMPDIR/event" 2>/dev/null |
			sed -n 's/^Status: \([0-9]*\).*/\1/p'
	done
}

@test "per_ip: 4 sluice.fcgi + sluice.cgi on one address at over 5x the limit admit the limit +-10% over 10 s; another address is unaffected" {
	serve 4 '[limits]' 'per_ip = 20/s' 'burst = 20'
	local start until pids="" i
	start=$(date +%s)
	until=$((start + 11))
	# Start together, on a second boundary.
	wait_for "[ \$(date +%s) -ge $((start + 1)) ]" 5
	for i in 1 2 3; do
		hammer 198.51.100.7 "$until" >"$BATS_TEST_TMPDIR/load.$i" &
		pids+=" $!"
	done
	hammer_cgi 198.51.100.7 "$until" >"$BATS_TEST_TMPDIR/load.cgi" &
	pids+=" $!"
	# Another client, well under its own limit: 2 a second.
	for i in $(seq 16); do
		http "$LIGHTTPD_URL/collect?appId=test_release" -H "$JSON" \
			-H 'X-Forwarded-For: 198.51.100.8' --data "$EVENT" >>"$BATS_TEST_TMPDIR/other"
		echo >>"$BATS_TEST_TMPDIR/other"
		sleep 0.5
	done
	wait $pids
	local ok refused total
	ok=$(cat "$BATS_TEST_TMPDIR"/load.* | grep -c '^200$' || true)
	refused=$(cat "$BATS_TEST_TMPDIR"/load.* | grep -c '^429$' || true)
	total=$(cat "$BATS_TEST_TMPDIR"/load.* | wc -l)
	echo "admitted $ok, refused $refused, of $total in 10 s" >&3
	# Every request got one of the two answers.
	assert_eq $((ok + refused)) "$total"
	# At least 5x the limit was offered ...
	[ "$total" -ge 1000 ]
	# ... and the limit admitted: the burst, then 20 a second for 10 s.
	[ "$ok" -ge 198 ] && [ "$ok" -le 242 ]
	# Through the CGI too (the same bucket).
	grep -q '^429$' "$BATS_TEST_TMPDIR/load.cgi"
	assert_eq "$(sort -u "$BATS_TEST_TMPDIR/other")" 200
	# Refused batches left nothing behind: the spool has what was admitted.
	assert_eq "$(spool_values events | wc -l)" $((ok + 16))
}

@test "per_source: an app over its limit gets 429 with Retry-After; the pixel drops, counted as rate_limited; one log line per key in 10 s" {
	serve 2 '[limits]' 'per_source = 2/s' 'burst = 2' 'per_ip = 1/m'
	local i codes=""
	for i in 1 2 3 4 5; do
		codes+="$(http "$LIGHTTPD_URL/collect?appId=test_release" -H "$JSON" \
			-H "X-Forwarded-For: 192.0.2.$i" --data "$EVENT") "
	done
	assert_eq "$codes" "200 200 429 429 429 "
	assert_eq "$(http_header Retry-After)" 1
	assert_eq "$(cat "$HTTP_BODY")" "over limits.per_source, retry later"
	# Another app is another bucket.
	assert_eq "$(http "$LIGHTTPD_URL/collect?appId=test_other" -H "$JSON" \
		-H 'X-Forwarded-For: 192.0.2.9' \
		--data '[{"event_type":"t","event_id":"o","timestamp":1,"app_id":"test_other"}]')" 200
	# The pixel always answers its GIF: over per_ip, the event is dropped.
	# (burst is both limits': 2 here.)
	for i in 1 2 3 4 5; do
		assert_eq "$(http "$LIGHTTPD_URL/pixel?n=$i" -H 'X-Forwarded-For: 198.51.100.50')" 200
		assert_eq "$(head -c 6 "$HTTP_BODY")" GIF89a
	done
	assert_eq "$(spool_values events | jq -r 'select(.protocol == "beacon") | .data.n' | tr '\n' ' ')" "1 2 "
	http "$LIGHTTPD_URL/metrics" >/dev/null
	grep -qx 'sluice_events_total{outcome="rate_limited"} 3' "$HTTP_BODY"
	# One line for each key over its limit, not one per request.
	assert_eq "$(grep -c 'test_release is over limits.per_source' "$STATE/sluice.log")" 1
	assert_eq "$(grep -c '198.51.100.50 is over limits.per_ip' "$STATE/sluice.log")" 1
}

@test "a flood of distinct addresses: the table keeps its size and evicts old keys" {
	command -v wrk >/dev/null || skip "wrk is not installed"
	serve 2 '[limits]' 'per_ip = 1/h' 'burst = 1'
	assert_eq "$(http "$LIGHTTPD_URL/collect?appId=test_release" -H "$JSON" \
		-H 'X-Forwarded-For: 203.0.113.200' --data "$EVENT")" 200
	assert_eq "$(http "$LIGHTTPD_URL/collect?appId=test_release" -H "$JSON" \
		-H 'X-Forwarded-For: 203.0.113.200' --data "$EVENT")" 429
	local size
	size=$(stat -c %s "$SPOOL/limits.shm")
	# At least 24,576 distinct addresses (three times the table's
	# slots), each once: wrk runs of 3 s, each from where the last ended.
	cat >"$BATS_TEST_TMPDIR/flood.lua" <<'LUA'
local n = 0
local threads = 0
setup = function(thread)
	thread:set("id", threads)
	threads = threads + 1
end
request = function()
	n = n + 1
	local a = tonumber(os.getenv("FLOOD_BASE")) + id * 1000000 + n
	return wrk.format("GET", "/pixel?f=1", {
		["X-Forwarded-For"] = string.format("10.%d.%d.%d",
			math.floor(a / 65536) % 256, math.floor(a / 256) % 256, a % 256)
	})
end
LUA
	local sent=0 run base=0 deadline=$((SECONDS + 90))
	while [ "$sent" -lt 24576 ] && [ "$SECONDS" -lt "$deadline" ]; do
		FLOOD_BASE=$base wrk -t2 -c8 -d3s -s "$BATS_TEST_TMPDIR/flood.lua" \
			"$LIGHTTPD_URL" >"$BATS_TEST_TMPDIR/wrk.out" 2>&1
		run=$(awk '/requests in/ {print $1}' "$BATS_TEST_TMPDIR/wrk.out")
		[ -n "$run" ] || { cat "$BATS_TEST_TMPDIR/wrk.out"; false; }
		# Each thread's own range: no address is sent twice.
		[ "$run" -lt 1000000 ]
		sent=$((sent + run))
		base=$((base + 2000000))
	done
	echo "$sent distinct addresses" >&3
	[ "$sent" -ge 24576 ]
	assert_eq "$(stat -c %s "$SPOOL/limits.shm")" "$size"
	# The first key's bucket was given to a newer one: it starts afresh.
	assert_eq "$(http "$LIGHTTPD_URL/collect?appId=test_release" -H "$JSON" \
		-H 'X-Forwarded-For: 203.0.113.200' --data "$EVENT")" 200
}
