#!/usr/bin/env bats
# Real lighttpd (mod_fastcgi, bin-path) in front of sluice.fcgi, started
# from lighttpd-conf/, with real HTTP from curl.

load helpers/common
load helpers/lighttpd

SEED='[{"event_type":"button_click","event_id":"460daa08-0717-4385-8f2e-acb5bd019ee7","timestamp":1667877566697,"app_id":"your appId","attributes":{"productName":"shoes","Price":99.9}},{"event_type":"item_view","event_id":"c6067c1c-fd8d-4fdb-bfaf-cc1212ca0195","timestamp":1667877565698,"app_id":"your appId","attributes":{"productName":"book","Price":39.9}}]'

setup_file()
{
	export STATE="$BATS_FILE_TMPDIR/lighttpd"
	export SPOOL="$STATE/spool"
	mkdir -p "$STATE"
	printf '[spool]\ndir = %s\n[app test_release]\n' "$SPOOL" >"$STATE/sluice.conf"
	lighttpd_start "$STATE" 1
	export LIGHTTPD_PID LIGHTTPD_URL
}

teardown_file()
{
	lighttpd_stop
}

count()
{
	spool_values "$1" | wc -l
}

@test "the clickstream seed's cURL example: 200 and two records" {
	local before
	before=$(count events)
	http_status=$(http "$LIGHTTPD_URL/collect?appId=test_release&platform=Android&event_bundle_sequence_id=1" \
		--header 'Content-Type: application/json; charset=utf-8' \
		--header 'X-Forwarded-For: 101.188.67.134' \
		--data "$SEED")
	assert_eq "$http_status" 200
	[ ! -s "$HTTP_BODY" ]
	assert_eq "$(count events)" $((before + 2))
	assert_eq "$(spool_values events | tail -2 | jq -r .event_id | tr '\n' ' ')" \
		"460daa08-0717-4385-8f2e-acb5bd019ee7 c6067c1c-fd8d-4fdb-bfaf-cc1212ca0195 "
	# lighttpd is the direct peer on loopback, a trusted proxy.
	assert_eq "$(spool_values events | tail -1 | jq -r .ip)" 101.188.67.134
}

@test "the beacon seed's POST /e example: 200 and one record" {
	local before
	before=$(count events)
	http_status=$(http "$LIGHTTPD_URL/e" -H 'Accept: application/json' -H 'Content-Type: application/json' \
		--data-binary $'{\n    "tv001": "111",\n    "tv002": "123",\n    "tv003": "web"\n}')
	assert_eq "$http_status" 200
	assert_eq "$(http_header Content-Length)" 0
	assert_eq "$(count events)" $((before + 1))
	assert_eq "$(spool_values events | tail -1 | jq -c .data)" \
		'{"tv001":"111","tv002":"123","tv003":"web"}'
}

@test "the beacon seed's GET /pixel example: the GIF and one record" {
	http_status=$(http "$LIGHTTPD_URL/pixel?tv001=111&tv002=123&tv003=mobile" -H 'Accept: */*')
	assert_eq "$http_status" 200
	assert_eq "$(http_header Content-Type)" image/gif
	assert_eq "$(http_header Content-Length)" 43
	[[ "$(http_header Cache-Control)" == *no-store* ]]
	assert_eq "$(od -An -tx1 "$HTTP_BODY" | tr -d ' \n')" \
		47494638396101000100800100000000ffffff21f90401000000002c00000000010001000002024401003b
	assert_eq "$(spool_values events | tail -1 | jq -c .data)" \
		'{"tv001":"111","tv002":"123","tv003":"mobile"}'
}

@test "GET /pixel?tv001=1 is a valid 43-byte GIF" {
	http_status=$(http "$LIGHTTPD_URL/pixel?tv001=1")
	assert_eq "$http_status" 200
	assert_eq "$(stat -c %s "$HTTP_BODY")" 43
	assert_eq "$(head -c 6 "$HTTP_BODY")" GIF89a
	assert_eq "$(tail -c 1 "$HTTP_BODY" | od -An -tx1 | tr -d ' ')" 3b
}

@test "1 MiB + 1 byte gets 413 from Sluice" {
	head -c 1048577 /dev/zero | tr '\0' ' ' >"$BATS_TEST_TMPDIR/big"
	http_status=$(http "$LIGHTTPD_URL/collect?appId=test_release" -H 'Content-Type: application/json' \
		--data-binary @"$BATS_TEST_TMPDIR/big")
	assert_eq "$http_status" 413
	assert_eq "$(cat "$HTTP_BODY")" "body of 1048577 bytes is over http.max_body (1048576)"
}

@test "an unknown appId gets 403, a gzip bomb 413, a bad body 400" {
	http_status=$(http "$LIGHTTPD_URL/collect?appId=nobody" -H 'Content-Type: application/json' --data "$SEED")
	assert_eq "$http_status" 403
	head -c 20000000 /dev/zero | gzip -9 -c >"$BATS_TEST_TMPDIR/bomb"
	http_status=$(http "$LIGHTTPD_URL/collect?appId=test_release&compression=gzip" \
		-H 'Content-Type: application/json' --data-binary @"$BATS_TEST_TMPDIR/bomb")
	assert_eq "$http_status" 413
	http_status=$(http "$LIGHTTPD_URL/collect?appId=test_release" -H 'Content-Type: application/json' \
		--data '[{"event_type":"t","timestamp":1,"app_id":"a"}]')
	assert_eq "$http_status" 400
	assert_eq "$(cat "$HTTP_BODY")" "event 0: missing event_id"
	http_status=$(http "$LIGHTTPD_URL/collect?appId=test_release" -H 'Content-Type: application/json' \
		--data '[{"event_type":"t",')
	assert_eq "$http_status" 400
	assert_eq "$(cat "$HTTP_BODY")" "body is not well-formed JSON"
	grep -q 'status=403 appId .nobody. is not allowed' "$STATE/sluice.log"
}

@test "a request whose input has all arrived is closed at once; an unread body is left to libfcgi" {
	command -v strace >/dev/null || skip "strace is not installed"
	local pid sp trace="$BATS_TEST_TMPDIR/trace"
	pid=$(fcgi_pids)
	[ "$(echo "$pid" | wc -w)" -eq 1 ]
	strace -f -e trace=shutdown -o "$trace" -p "$pid" 2>"$trace.err" &
	sp=$!
	wait_for "grep -q attached '$trace.err'" 10
	# No body, and a body read to its end: closed without the wait.
	http_status=$(http "$LIGHTTPD_URL/pixel?closed=1")
	assert_eq "$http_status" 200
	http_status=$(http "$LIGHTTPD_URL/collect?appId=test_release" -H 'Content-Type: application/json' --data "$SEED")
	assert_eq "$http_status" 200
	# A body refused unread (over http.max_body): libfcgi half-closes
	# and reads the rest away, and the answer still arrives whole.
	head -c 1048577 /dev/zero | tr '\0' ' ' >"$BATS_TEST_TMPDIR/big"
	http_status=$(http "$LIGHTTPD_URL/collect?appId=test_release" -H 'Content-Type: application/json' \
		--data-binary @"$BATS_TEST_TMPDIR/big")
	assert_eq "$http_status" 413
	assert_eq "$(cat "$HTTP_BODY")" "body of 1048577 bytes is over http.max_body (1048576)"
	# One process serves them in turn: once the third request's
	# half-close is in the trace, the first two's ends are too.
	wait_for "grep -q 'shutdown(.*SHUT_WR' '$trace'" 10
	kill -INT "$sp"
	wait "$sp" || true
	assert_eq "$(grep -c 'shutdown(' "$trace")" 1
	assert_eq "$(fcgi_pids)" "$pid"
}

@test "100,000 requests do not grow a FastCGI process's memory" {
	[ "${SLUICE_SANITIZERS:-0}" = 0 ] ||
		skip_by_design "RSS means nothing under ASan (quarantine); LeakSanitizer checks leaks at exit instead"
	local pid before after
	pid=$(fcgi_pids)
	[ "$(echo "$pid" | wc -w)" -eq 1 ]
	curl -s -o /dev/null "$LIGHTTPD_URL/pixel?warm=[1-2000]"
	before=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
	curl -s -o /dev/null "$LIGHTTPD_URL/pixel?n=[1-100000]"
	after=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
	echo "# RSS ${before} kB -> ${after} kB after 100,000 requests" >&3
	assert_eq "$(fcgi_pids)" "$pid"
	[ "$after" -le $((before + 256)) ]
	# And every one of them is in the spool.
	[ "$(spool_records | grep -c '\\"n\\":')" -eq 100000 ]
}

@test "SIGUSR1 ends a sluice.fcgi cleanly; lighttpd starts another" {
	local old new
	old=$(fcgi_pids)
	kill -USR1 "$old"
	wait_for "pid_gone $old" 10
	http_status=$(http "$LIGHTTPD_URL/pixel?after_usr1=1")
	assert_eq "$http_status" 200
	new=$(fcgi_pids)
	[ -n "$new" ] && [ "$new" != "$old" ]
	grep -q "sluice\[$old\]: info req=- route=- stopping after [0-9]* request(s)" "$STATE/sluice.log"
}

@test "SIGTERM: lighttpd stops sluice.fcgi, which exits cleanly" {
	local pids pid
	pids=$(fcgi_pids)
	[ -n "$pids" ]
	lighttpd_stop
	for pid in $pids; do
		pid_gone "$pid" || { echo "sluice.fcgi $pid still running"; false; }
	done
	grep -q 'info req=- route=- stopping after [0-9]* request(s)' "$STATE/sluice.log"
	no_sanitizer_report "$STATE/sluice.log"
	no_sanitizer_report "$STATE/error.log"
}
