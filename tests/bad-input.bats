#!/usr/bin/env bats
# The bad-input matrix: every route against every kind of hostile or
# broken request. Each row checks the documented status (README, "Bad
# input"), one log line naming it, and that the spool still holds only
# whole records. Rows run through sluice.cgi, the same core as FastCGI.

load helpers/common

# The routes: name, method, path, query, a body the route accepts.
ROUTES=(event click raccoon track tcollect rlvt seg sp)
declare -gA METHOD=([event]=POST [click]=POST [raccoon]=POST [track]=POST
	[tcollect]=POST [rlvt]=POST [seg]=POST [sp]=POST [pixel]=GET)
declare -gA RPATH=([event]=/e [click]=/collect [raccoon]=/api/v1/events
	[track]=/track [tcollect]=/collect/coupon-received/source-id
	[rlvt]=/collect/my-datasource/rlvt [seg]=/v1/track
	[sp]=/com.snowplowanalytics.snowplow/tp2 [pixel]=/pixel)
declare -gA QUERY=([click]="appId=test_release")
declare -gA GOOD=(
	[event]='{"page":"/home"}'
	[click]='[{"event_type":"t","event_id":"e1","timestamp":1,"app_id":"a"}]'
	[raccoon]='{"req_guid":"g","events":[{"event_bytes":"aGk=","type":"a"}]}'
	[track]='{"source":{"id":"source-id"},"events":[{"type":"a"}]}'
	[tcollect]='{"voucher":"SUMMER-42"}'
	[rlvt]='{"key":"k","eventId":"e1","name":"n","v":1}'
	[seg]='{"writeKey":"wk","userId":"u","event":"E"}'
	[sp]='{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4","data":[{"e":"pv","p":"web","tv":"t"}]}'
)
# What each route answers to a body over the limits, where not 413: the
# beacon never refuses, Snowplow's and Segment's trackers retry a 413.
declare -gA TOO_LARGE=([event]=200 [seg]=400 [sp]=400)
# What each route answers to a body it refuses (beacon never refuses).
declare -gA BAD=([event]=200 [click]=400 [raccoon]=400 [track]=422
	[tcollect]=422 [rlvt]=400 [seg]=400 [sp]=400)

setup()
{
	sl_common_setup
	write_config '[source source-id]' '[datasource my-datasource]' \
		'[writekey wk]'
	failures=""
}

# count events: records of events (any topic but events-bad, as Raccoon
# writes to topics by type); count events-bad: rejections.
count()
{
	spool_records | jq -s --arg t "$1" '[.[] | select(if $t == "events-bad"
		then .topic == $t else .topic != "events-bad" end)] | length'
}

# row ROUTE STATUS REASON OUTCOME [cgi args...]: send $BODY_FILE to ROUTE
# and check the status, a log line with status=STATUS and REASON (none
# when REASON is -), the spool, and OUTCOME: "event" (one more record on
# the events topic), "bad" (one more on events-bad, none on events) or
# "none" (nothing recorded). Collects failures in $failures.
row()
{
	local r=$1 want=$2 reason=$3 outcome=$4 ev bad why=""

	shift 4
	ev=$(count events)
	bad=$(count events-bad)
	cgi "${METHOD[$r]}" "${RPATH[$r]}" "${QUERY[$r]-}" "$@" ||
		why="sluice.cgi failed"
	[ -n "$why" ] || [ "$cgi_status" = "$want" ] ||
		why="status $cgi_status, want $want"
	if [ -z "$why" ] && [ "$reason" != - ]; then
		[[ "$cgi_log" == *"status=$want"*"$reason"* ]] ||
			why="log line: '$cgi_log', want status=$want ... $reason"
	fi
	[ -n "$why" ] || assert_spool_whole >/dev/null || why="spool corrupt"
	if [ -z "$why" ]; then
		case $outcome in
		event) [ "$(count events)" -eq $((ev + 1)) ] ||
			why="no event stored" ;;
		bad) [ "$(count events)" -eq "$ev" ] &&
			[ "$(count events-bad)" -eq $((bad + 1)) ] ||
			why="want one bad-events record and no event" ;;
		none) [ "$(count events)" -eq "$ev" ] &&
			[ "$(count events-bad)" -eq "$bad" ] ||
			why="something was recorded" ;;
		esac
	fi
	[ -z "$why" ] || failures+="  $r ${*}: $why"$'\n'
}

# bad_row ROUTE REASON [cgi args...]: the route's refusal status, logged,
# recorded on events-bad.
bad_row()
{
	local r=$1

	shift
	row "$r" "${BAD[$r]}" "$@"
}

check_rows()
{
	[ -z "$failures" ] || { printf 'failed rows:\n%s' "$failures"; return 1; }
}

@test "empty body" {
	for r in "${ROUTES[@]}"; do
		body ''
		bad_row "$r" "empty body" bad
	done
	check_rows
}

@test "body shorter than Content-Length" {
	for r in "${ROUTES[@]}"; do
		body "${GOOD[$r]}"
		bad_row "$r" "body ended before Content-Length" bad \
			CONTENT_LENGTH=$((${#GOOD[$r]} + 100))
	done
	check_rows
}

@test "body longer than Content-Length: the bytes past it are not read" {
	for r in "${ROUTES[@]}"; do
		body "${GOOD[$r]}GARBAGE{{{"
		row "$r" 200 - event CONTENT_LENGTH=${#GOOD[$r]}
	done
	check_rows
}

@test "Content-Length missing, negative, empty, not a number, huge" {
	for r in "${ROUTES[@]}"; do
		body "${GOOD[$r]}"
		row "$r" "$([ "$r" = event ] && echo 200 || echo 411)" \
			"Content-Length" bad -CONTENT_LENGTH
		for v in -5 "" 12abc 0x10; do
			bad_row "$r" "Content-Length is not a number" bad \
				CONTENT_LENGTH="$v"
		done
		row "$r" "${TOO_LARGE[$r]:-413}" \
			"over" bad CONTENT_LENGTH=99999999999999999999999
	done
	check_rows
}

@test "wrong method: 405 with Allow, nothing recorded" {
	for r in "${ROUTES[@]}" pixel; do
		body "${GOOD[$r]-}"
		for m in GET PUT DELETE; do
			[ "$m" = "${METHOD[$r]}" ] && continue
			row "$r" 405 "$m ${RPATH[$r]}" none REQUEST_METHOD=$m
			[ "$(header Allow)" = "${METHOD[$r]}" ] ||
				failures+="  $r $m: Allow '$(header Allow)'"$'\n'
		done
	done
	check_rows
}

@test "wrong Content-Type: only Raccoon decodes by it, the others read JSON" {
	for r in "${ROUTES[@]}"; do
		body "${GOOD[$r]}"
		if [ "$r" = raccoon ]; then
			bad_row "$r" "unsupported Content-Type" bad \
				CONTENT_TYPE=text/xml
		else
			row "$r" 200 - event CONTENT_TYPE=text/xml
		fi
	done
	check_rows
}

@test "invalid UTF-8: overlong forms, surrogates, bytes past U+10FFFF" {
	for r in "${ROUTES[@]}"; do
		for bytes in '\xc0\xaf' '\xe0\x80\xaf' '\xed\xa0\x80' '\xf4\x90\x80\x80' '\xff'; do
			printf "{\"s\":\"a${bytes}b\"}" >"$BATS_TEST_TMPDIR/body"
			BODY_FILE="$BATS_TEST_TMPDIR/body"
			bad_row "$r" "not valid UTF-8" bad
		done
		body '{"s":"\ud800"}'
		bad_row "$r" "not well-formed JSON" bad
	done
	check_rows
}

@test "NUL bytes in strings, raw and escaped" {
	for r in "${ROUTES[@]}"; do
		printf '{"s":"a\0b"}' >"$BATS_TEST_TMPDIR/body"
		BODY_FILE="$BATS_TEST_TMPDIR/body"
		bad_row "$r" "not valid UTF-8" bad
		body '{"s":"a\u0000b"}'
		bad_row "$r" "escaped NUL" bad
	done
	check_rows
}

@test "JSON with duplicate keys, at the top and deeper" {
	for r in "${ROUTES[@]}"; do
		body '{"a":"1","a":"2"}'
		bad_row "$r" "same member twice" bad
		body '[{"event_type":"t","event_id":"e","timestamp":1,"app_id":"a","attributes":{"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k1":0}}]'
		bad_row "$r" "same member twice" bad
	done
	check_rows
}

@test "numbers out of range: 1e400, -0, huge timestamps" {
	for r in "${ROUTES[@]}"; do
		body '{"n":1e400}'
		bad_row "$r" "out of range" bad
		body '{"n":-1e400}'
		bad_row "$r" "out of range" bad
	done
	body '[{"event_type":"t","event_id":"e","timestamp":123456789012345678901234567890,"app_id":"a"}]'
	bad_row click "timestamp must be an integer" bad
	body '[{"event_type":"t","event_id":"e","timestamp":1.5,"app_id":"a"}]'
	bad_row click "timestamp must be an integer" bad
	body '[{"event_type":"t","event_id":"e","timestamp":-0,"app_id":"a"}]'
	row click 200 - event
	body '{"key":"k","eventId":"e","name":"n","v":1,"timestamp":123456789012345678901234567890}'
	bad_row rlvt "timestamp must be a positive integer" bad
	body '{"key":"k","eventId":"e","name":"n","v":1,"timestamp":-0}'
	bad_row rlvt "timestamp must be a positive integer" bad
	check_rows
}

@test "deep nesting: arrays and objects past 64 levels" {
	for r in "${ROUTES[@]}"; do
		body "$(printf '%.0s[' {1..5000})$(printf '%.0s]' {1..5000})"
		bad_row "$r" "nested deeper than 64" bad
		body "$(printf '%.0s{"a":' {1..65})1$(printf '%.0s}' {1..65})"
		bad_row "$r" "nested deeper than 64" bad
	done
	check_rows
}

@test "10,000 events in one request: 413 past http.max_events" {
	local i ev=""

	for i in $(seq 10000); do ev+='{"event_type":"t","event_id":"e'$i'","timestamp":1,"app_id":"a","type":"a","event_bytes":"aGk="},'; done
	ev=${ev%,}
	body "[$ev]"
	row click 413 "more events than http.max_events" bad
	body "{\"req_guid\":\"g\",\"events\":[$ev]}"
	row raccoon 413 "more events than http.max_events" bad
	body "{\"source\":{\"id\":\"source-id\"},\"events\":[$ev]}"
	row track 413 "more events than http.max_events" bad
	# Segment's own limit comes first: 2,500 calls.
	ev=""
	for i in $(seq 10000); do ev+='{"type":"page","userId":"u"},'; done
	body "{\"writeKey\":\"wk\",\"batch\":[${ev%,}]}"
	RPATH[seg]=/v1/batch
	bad_row seg "calls are over 2,500 in one batch" bad
	check_rows
	[ "$(count events)" -eq 0 ]
}

@test "100,001-character strings: whole in data, refused as ids" {
	local s

	s=$(head -c 100001 /dev/zero | tr '\0' x)
	body "{\"s\":\"$s\"}"
	row event 200 - event
	body "[{\"event_type\":\"t\",\"event_id\":\"e\",\"timestamp\":1,\"app_id\":\"a\",\"attributes\":{\"s\":\"$s\"}}]"
	row click 200 - event
	body "{\"source\":{\"id\":\"source-id\"},\"events\":[{\"type\":\"a\",\"properties\":{\"s\":\"$s\"}}]}"
	row track 200 - event
	body "{\"key\":\"k\",\"eventId\":\"e1\",\"name\":\"n\",\"v\":1,\"data\":{\"s\":\"$s\"}}"
	row rlvt 200 - event
	# Segment's calls are at most 32 KB: refused, not cut.
	body "{\"writeKey\":\"wk\",\"userId\":\"u\",\"event\":\"E\",\"properties\":{\"s\":\"$s\"}}"
	bad_row seg "call 0 is over 32 KB" bad
	# The string arrives whole, not cut.
	[ "$(spool_values events | jq -s '[.[] | .. | strings | select(length == 100001)] | length')" -eq 4 ] ||
		failures+="  a long string was cut"$'\n'
	body "[{\"event_type\":\"$s\",\"event_id\":\"e\",\"timestamp\":1,\"app_id\":\"a\"}]"
	bad_row click "event_type must be a non-empty string of at most 256" bad
	body "{\"source\":{\"id\":\"source-id\"},\"events\":[{\"type\":\"$s\"}]}"
	bad_row track "type" bad
	body "{\"key\":\"k\",\"eventId\":\"$s\",\"name\":\"n\",\"v\":1}"
	bad_row rlvt "eventId" bad
	body "{\"req_guid\":\"g\",\"events\":[{\"event_bytes\":\"aGk=\",\"type\":\"$s\"}]}"
	bad_row raccoon "type" bad
	check_rows
}

@test "percent-encoding errors in queries" {
	BODY_FILE=""
	for q in 'tv001=%zz' 'a=%4' 'a=%' 'a=%00' 'a=%c0%af'; do
		QUERY[pixel]=$q
		row pixel 200 "query" bad
	done
	body "${GOOD[click]}"
	QUERY[click]='appId=test%zzrelease'
	bad_row click "appId has a bad %-escape" bad
	# A parameter kept as metadata: the event stays, the field does not.
	QUERY[click]='appId=test_release&platform=%G1'
	row click 200 - event
	[[ "$cgi_log" == *"warn"*"platform has a bad %-escape"* ]] ||
		failures+="  no log line for platform"$'\n'
	[ "$(spool_values events | jq -r '.meta.platform' | tail -1)" = null ] ||
		failures+="  platform kept"$'\n'
	check_rows
}

@test "gzip that is truncated, corrupt or a bomb" {
	local d=$BATS_TEST_TMPDIR

	printf '%s' "${GOOD[click]}" | gzip -c >"$d/good.gz"
	head -c 20 "$d/good.gz" >"$d/trunc.gz"
	{ head -c 12 "$d/good.gz"; printf '\377\377\377\377'; tail -c +17 "$d/good.gz"; } >"$d/corrupt.gz"
	head -c 50000000 /dev/zero | gzip -9 >"$d/bomb.gz"
	base64 -w0 "$d/bomb.gz" >"$d/bomb.b64"
	QUERY[click]="appId=test_release&compression=gzip"
	BODY_FILE="$d/good.gz"
	row click 200 - event
	BODY_FILE="$d/trunc.gz"
	bad_row click "gzip body is corrupt or truncated" bad
	BODY_FILE="$d/corrupt.gz"
	bad_row click "gzip body is corrupt or truncated" bad
	BODY_FILE="$d/bomb.gz"
	row click 413 "inflates past the limit" bad
	BODY_FILE="$d/bomb.b64"
	row click 413 "inflates past the limit" bad
	# Only clickstream inflates; elsewhere gzip is bytes that are not text.
	BODY_FILE="$d/good.gz"
	for r in event raccoon track tcollect rlvt; do
		bad_row "$r" "not valid UTF-8" bad CONTENT_ENCODING=gzip
	done
	check_rows
}

@test "hostile input at the edge: cookies, user agents, forwarded addresses, GeoIP variables" {
	write_config '[source source-id]' '[datasource my-datasource]' \
		'[writekey wk]' '[cookie]' 'name = sid' '[http]' \
		'ignore_from = 10.0.0.0/8' 'bots = drop'
	local r
	for r in "${ROUTES[@]}"; do
		body "${GOOD[$r]}"
		# Not an id: replaced. Not UTF-8, and not a crawler. Forwarded
		# by an untrusted peer: not believed, so not ignored. Junk
		# where a server's GeoIP variables go: no geo, or only sane.
		row "$r" 200 - event \
			"HTTP_COOKIE=sid=../../etc/passwd; sid=00000000-0000-4000-8000-000000000000" \
			"HTTP_USER_AGENT=$(printf 'Mozilla/5.0 \xff\xfe\x01')" \
			'HTTP_X_FORWARDED_FOR=10.0.0.1, not-an-ip' \
			"GEOIP_COUNTRY_CODE=$(printf '\xc3')" GEOIP_CITY_LATITUDE=1e999 \
			GEOIP_CITY_LONGITUDE=-nan
		[[ "$(header Set-Cookie)" =~ ^sid=[0-9a-f-]{36}\; ]] ||
			failures+="  $r: Set-Cookie $(header Set-Cookie)"$'\n'
		[[ "$(header Set-Cookie)" != *passwd* ]] ||
			failures+="  $r: the cookie was taken as sent"$'\n'
	done
	check_rows
	# Every record's envelope is JSON with a fresh id and no geo.
	[ -z "$(spool_records | jq -r 'select(.topic != "events-bad") |
		.value | fromjson? // {} | select(.ids.network? == "../../etc/passwd" or .geo != null) | .event_id')" ]
	# A crawler with drop: answered as ever, not recorded.
	for r in "${ROUTES[@]}"; do
		body "${GOOD[$r]}"
		row "$r" "$([ "$r" = rlvt ] && echo 202 || echo 200)" - none \
			'HTTP_USER_AGENT=Mozilla/5.0 (compatible; Googlebot/2.1)'
	done
	check_rows
}

@test "a configuration with each kind of mistake: check-config and the CGI name file and line, the CGI answers 503" {
	local line want

	while IFS='|' read -r line want; do
		write_config "$(printf '%b' "$line")"
		run "$(sl_bin sluice)" check-config "$CONF"
		[ "$status" -eq 1 ] && [[ "$output" == "$CONF:"*"$want"* ]] ||
			failures+="  check-config '$line': $status $output"$'\n'
		# The CGI answers 503 (Retry-After) and exits 1.
		run env -i SLUICE_CONFIG="$CONF" REQUEST_METHOD=GET \
			PATH_INFO=/pixel "$(sl_bin sluice.cgi)"
		[ "$status" -eq 1 ] && [[ "$output" == *"Status: 503"* ]] &&
			[[ "$output" == *"cannot start: $CONF:"*"$want"* ]] ||
			failures+="  sluice.cgi '$line': $status $output"$'\n'
	done <<'EOF'
[nowhere]|unknown section
[http]\nfrobnicate = 1|unknown key
no equals sign here|
[http]\nmax_body = lots|max_body
[http]\nmax_body = -1|max_body
[http]\nmax_events = 99999999999999999999|max_events
[http]\nanonymize_ip = perhaps|anonymize_ip
[delivery]\nack = whenever|ack
[spool]\nfsync = sometimes|fsync
[http]\ntrusted_proxies = 10.0.0.0/33|trusted_proxies
[http]\ncors_origins = *|cors_origins
[kafka]\ntopic = bad topic!|topic
[kafka]\ntopic_pattern = events|topic_pattern
[routes]\nbeacon_pixel = pixel|beacon_pixel
[log]\nlevel = loud|level
[http]\nbots = sometimes|bots
[http]\nignore_from = 10.0.0.0/33|ignore_from
[limits]\nper_ip = fast|per_ip
[limits]\nper_source = 10/fortnight|per_source
[limits]\nburst = 0|burst
[cookie]\nname = a b|name
[cookie]\nmax_age = forever|max_age
EOF
	check_rows
}
