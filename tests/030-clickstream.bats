#!/usr/bin/env bats
# The clickstream format: POST /collect?appId=...

load helpers/common

# The seed document's cURL example, byte for byte.
SEED='[{"event_type":"button_click","event_id":"460daa08-0717-4385-8f2e-acb5bd019ee7","timestamp":1667877566697,"app_id":"your appId","attributes":{"productName":"shoes","Price":99.9}},{"event_type":"item_view","event_id":"c6067c1c-fd8d-4fdb-bfaf-cc1212ca0195","timestamp":1667877565698,"app_id":"your appId","attributes":{"productName":"book","Price":39.9}}]'
SEED_QUERY='appId=test_release&platform=Android&event_bundle_sequence_id=1'

setup()
{
	sl_common_setup
	write_config '[app signed]' 'verify_hash = true' \
		'[app private]' 'token = s3cret-t0ken' 'token_cookie = cs_auth' \
		'topic = private-events'
}

# One event with the required fields and the given extra members.
event()
{
	printf '{"event_type":"t","event_id":"%s","timestamp":1700000000000,"app_id":"a"%s}' \
		"${2:-e1}" "${1:+,$1}"
}

# POST body to /collect with query; the rest are CGI variables.
collect()
{
	local query="$1"
	shift
	cgi POST /collect "$query" CONTENT_TYPE='application/json; charset=utf-8' "$@"
}

# The request was refused with status and reason: answer, log, bad record.
refused()
{
	local status="$1" reason="$2"

	assert_eq "$cgi_status" "$status"
	assert_eq "$(body_text)" "$reason"
	[[ "$cgi_log" == *"warn req="*"route=clickstream status=$status $reason"* ]]
	[ -z "$(spool_values events)" ]
	[ "$(spool_values events-bad | wc -l)" -eq 1 ]
	assert_eq "$(spool_values events-bad | jq -r '.reason')" "$reason"
	assert_eq "$(spool_values events-bad | jq -r '.status')" "$status"
}

@test "the seed's cURL example is accepted: 200, empty, two canonical records" {
	body "$SEED"
	collect "$SEED_QUERY" REMOTE_ADDR=127.0.0.1 \
		HTTP_X_FORWARDED_FOR=101.188.67.134
	assert_eq "$cgi_status" 200
	[ ! -s "$CGI_BODY" ]
	[ "$(spool_values events | wc -l)" -eq 2 ]
	assert_eq "$(spool_values events | jq -r .event_id | tr '\n' ' ')" \
		"460daa08-0717-4385-8f2e-acb5bd019ee7 c6067c1c-fd8d-4fdb-bfaf-cc1212ca0195 "
	assert_eq "$(spool_values events | jq -r '[.event_type, .event_ts, .protocol, .source, .ip] | join(" ")' | head -1)" \
		"button_click 1667877566697 clickstream test_release 101.188.67.134"
	assert_eq "$(spool_values events | jq -c '.meta' | head -1)" \
		'{"appId":"test_release","platform":"Android","event_bundle_sequence_id":"1"}'
	# The event as sent is kept whole.
	assert_eq "$(spool_values events | jq -c .data | head -1)" \
		"$(printf '%s' "$SEED" | jq -c '.[0]')"
	# Kafka headers and the envelope's keys.
	assert_eq "$(spool_records | head -1 | jq -c '.headers | del(.request_id)')" \
		'{"protocol":"clickstream","source":"test_release","event_type":"button_click"}'
	assert_eq "$(spool_values events | head -1 | jq -c keys)" \
		'["data","event_id","event_ts","event_type","ids","ip","meta","protocol","received_at","request_id","source","user_agent","v"]'
}

@test "X-Forwarded-For is ignored unless the peer is a trusted proxy" {
	body "$SEED"
	collect "$SEED_QUERY" REMOTE_ADDR=198.51.100.9 \
		HTTP_X_FORWARDED_FOR=101.188.67.134
	assert_eq "$cgi_status" 200
	assert_eq "$(spool_values events | jq -r .ip | sort -u)" 198.51.100.9
}

@test "X-Forwarded-For: the right-most hop that is not a trusted proxy wins" {
	write_config '[http]' 'trusted_proxies = 127.0.0.1/32, 10.0.0.0/8, ::1/128'
	body "$SEED"
	collect "$SEED_QUERY" REMOTE_ADDR=127.0.0.1 \
		HTTP_X_FORWARDED_FOR='6.6.6.6, 101.188.67.134, 10.1.2.3'
	assert_eq "$(spool_values events | jq -r .ip | sort -u)" 101.188.67.134
}

@test "device and user ids become the record key and ids" {
	body "[$(event '"device_id":"dev-1","unique_id":"u-1","attributes":{"_session_id":"s-1"}')]"
	collect appId=test_release
	assert_eq "$cgi_status" 200
	assert_eq "$(spool_records | jq -r .key)" dev-1
	assert_eq "$(spool_values events | jq -c .ids)" \
		'{"device":"dev-1","user":"u-1","profile":null,"session":"s-1"}'
}

@test "an unknown or missing appId gets 403" {
	body "$SEED"
	collect appId=nobody
	refused 403 "appId 'nobody' is not allowed"
	rm -rf "$SPOOL"
	collect platform=Web
	refused 403 "appId is missing"
}

@test "an app with a token needs it in its cookie" {
	body "$SEED"
	collect appId=private
	refused 403 "request does not carry app private's token in cookie cs_auth"
	rm -rf "$SPOOL"
	collect appId=private HTTP_COOKIE='a=b; cs_auth=wrong'
	refused 403 "request does not carry app private's token in cookie cs_auth"
	rm -rf "$SPOOL"
	collect appId=private HTTP_COOKIE='a=b; cs_auth=s3cret-t0ken; c=d'
	assert_eq "$cgi_status" 200
	[ "$(spool_values private-events | wc -l)" -eq 2 ]
}

@test "a body over 1 MiB gets 413 before it is read" {
	# No body at all is supplied: reading it would end early (400).
	BODY_FILE=""
	collect appId=test_release CONTENT_LENGTH=1048577
	refused 413 "body of 1048577 bytes is over http.max_body (1048576)"
	assert_eq "$(spool_values events-bad | jq -r '.body // "not read"')" "not read"
}

@test "compression=gzip: base64 of gzip (the SDKs) and raw gzip (curl)" {
	BODY_FILE="$BATS_TEST_TMPDIR/body"
	printf '%s' "$SEED" | gzip -c | base64 -w0 >"$BODY_FILE"
	collect "appId=test_release&compression=gzip"
	assert_eq "$cgi_status" 200
	printf '%s' "$SEED" | gzip -c >"$BODY_FILE"
	collect "appId=test_release&compression=gzip"
	assert_eq "$cgi_status" 200
	[ "$(spool_values events | wc -l)" -eq 4 ]
	assert_eq "$(spool_values events | jq -r .meta.compression | sort -u)" gzip
}

@test "a gzip bomb gets 413, raw or base64" {
	BODY_FILE="$BATS_TEST_TMPDIR/body"
	head -c 20000000 /dev/zero | gzip -9 -c >"$BODY_FILE"
	[ "$(stat -c %s "$BODY_FILE")" -lt 30000 ]
	collect "appId=test_release&compression=gzip"
	refused 413 "body inflates past the limit"
	rm -rf "$SPOOL"
	head -c 20000000 /dev/zero | gzip -9 -c | base64 -w0 >"$BODY_FILE"
	collect "appId=test_release&compression=gzip"
	refused 413 "body inflates past the limit"
}

@test "bad compression gets 400" {
	body "$SEED"
	collect "appId=test_release&compression=br"
	refused 400 "compression must be gzip or absent"
	rm -rf "$SPOOL"
	collect "appId=test_release&compression=gzip"
	refused 400 "compression=gzip but the body is neither gzip nor base64 of gzip"
	rm -rf "$SPOOL"
	printf '%s' "$SEED" | gzip -c | head -c 40 >"$BODY_FILE"
	collect "appId=test_release&compression=gzip"
	refused 400 "gzip body is corrupt or truncated"
}

@test "hashCode: recorded always, enforced for verify_hash apps" {
	local web android
	web=$(printf '%s' "$SEED" | sha256sum | cut -c1-8)
	body "$SEED"
	collect "appId=test_release&hashCode=00000000"
	assert_eq "$cgi_status" 200
	assert_eq "$(spool_values events | jq -r .meta.hashCode | sort -u)" 00000000
	collect "appId=signed&hashCode=$web"
	assert_eq "$cgi_status" 200
	# Android hashes the base64 text it sends.
	printf '%s' "$SEED" | gzip -c | base64 -w0 >"$BODY_FILE"
	android=$(sha256sum <"$BODY_FILE" | cut -c1-8)
	collect "appId=signed&compression=gzip&hashCode=$android"
	assert_eq "$cgi_status" 200
	collect "appId=signed&compression=gzip&hashCode=$web"
	assert_eq "$cgi_status" 200
	[ "$(spool_values events | wc -l)" -eq 8 ]
	rm -rf "$SPOOL"
	collect "appId=signed&compression=gzip&hashCode=deadbeef"
	refused 400 "hashCode is missing or does not match the body"
	rm -rf "$SPOOL"
	collect "appId=signed&compression=gzip"
	refused 400 "hashCode is missing or does not match the body"
}

@test "malformed bodies get 400 with a one-line reason" {
	local json reason
	while IFS='|' read -r json reason; do
		rm -rf "$SPOOL"
		body "$json"
		collect appId=test_release
		refused 400 "$reason"
	done <<ROWS
[$(event)|body is not well-formed JSON
$(event)|body is not a JSON array of events
[]|body is an empty array
|empty body
[1]|event 0 is not a JSON object
[$(event),{"event_type":"t","timestamp":1,"app_id":"a"}]|event 1: missing event_id
[{"event_id":"x","timestamp":1,"app_id":"a"}]|event 0: missing event_type
[{"event_type":"t","event_id":"x","app_id":"a"}]|event 0: missing timestamp
[{"event_type":"t","event_id":"x","timestamp":1}]|event 0: missing app_id
[{"event_type":"t","event_id":7,"timestamp":1,"app_id":"a"}]|event 0: event_id must be a non-empty string of at most 256 bytes
[{"event_type":"","event_id":"x","timestamp":1,"app_id":"a"}]|event 0: event_type must be a non-empty string of at most 256 bytes
[{"event_type":"t","event_id":"x","timestamp":1.5,"app_id":"a"}]|event 0: timestamp must be an integer count of milliseconds
[{"event_type":"t","event_id":"x","timestamp":"1","app_id":"a"}]|event 0: timestamp must be an integer count of milliseconds
[{"event_type":"t","event_id":"x","timestamp":1e400,"app_id":"a"}]|a number is out of range (past +-1.8e308)
[$(event '"items":{}')]|event 0: items must be an array
[$(event '"items":[1]')]|event 0: every item must be an object
[$(event '"user":{"name":"x"}')]|event 0: user attribute name must be {"value":…, "set_timestamp":<ms>}
[$(event '"attributes":{"1st":1}')]|event 0: attribute name '1st' breaks the naming rules (a letter or _, then letters, digits or _, at most 50)
[$(event '"attributes":{"a-b":1}')]|event 0: attribute name 'a-b' breaks the naming rules (a letter or _, then letters, digits or _, at most 50)
[$(event '"attributes":[]')]|event 0: attributes must be an object
[$(event '"x":"\u0000"')]|string holds an escaped NUL (\u0000)
ROWS
}

@test "invalid UTF-8 gets 400" {
	BODY_FILE="$BATS_TEST_TMPDIR/body"
	printf '[{"event_type":"t\xed\xa0\x80","event_id":"x","timestamp":1,"app_id":"a"}]' >"$BODY_FILE"
	collect appId=test_release
	refused 400 "body is not valid UTF-8 text"
	# The bytes are kept, as base64.
	assert_eq "$(spool_values events-bad | jq -r .body_b64 | base64 -d | cmp - "$BODY_FILE" && echo same)" same
}

@test "nesting deeper than 64 gets 400" {
	body "[$(event "\"attributes\":{\"a\":$(printf '[%.0s' {1..64})$(printf ']%.0s' {1..64})}")]"
	collect appId=test_release
	refused 400 "JSON nested deeper than 64 levels"
}

@test "the SDK limits: 100 items, 100 user attributes, 500 attributes" {
	local items users attrs
	items=$(printf '{"id":"i"},%.0s' {1..100})
	body "[$(event "\"items\":[${items%,}]")]"
	collect appId=test_release
	assert_eq "$cgi_status" 200
	rm -rf "$SPOOL"
	body "[$(event "\"items\":[${items}{\"id\":\"x\"}]")]"
	collect appId=test_release
	refused 400 "event 0: more than 100 items"

	rm -rf "$SPOOL"
	users=$(for i in $(seq 101); do printf '"u%d":{"value":1,"set_timestamp":1},' "$i"; done)
	body "[$(event "\"user\":{${users%,}}")]"
	collect appId=test_release
	refused 400 "event 0: more than 100 user attributes"

	rm -rf "$SPOOL"
	attrs=$(for i in $(seq 501); do printf '"a%d":%d,' "$i" "$i"; done)
	body "[$(event "\"attributes\":{${attrs%,}}")]"
	collect appId=test_release
	refused 400 "event 0: more than 500 attributes"
}

@test "fields beyond the seed's table are kept, never a reason to reject" {
	body "[$(event '"host_name":"shop.example.com","attributes":{"_page_url":"https://shop.example.com/x","_user_first_touch_timestamp":1}')]"
	collect "appId=test_release&platform=Web&upload_timestamp=1700000000123"
	assert_eq "$cgi_status" 200
	assert_eq "$(spool_values events | jq -r '.data.host_name + " " + .meta.platform + " " + .meta.upload_timestamp')" \
		"shop.example.com Web 1700000000123"
}

@test "more events than http.max_events gets 413" {
	write_config '[http]' 'max_events = 2'
	body "[$(event '' a),$(event '' b),$(event '' c)]"
	collect appId=test_release
	refused 413 "more events than http.max_events (2)"
}

@test "a body shorter than Content-Length, or no usable length, gets 400/411" {
	body "$SEED"
	collect appId=test_release CONTENT_LENGTH=5000
	refused 400 "body ended before Content-Length bytes"
	rm -rf "$SPOOL"
	collect appId=test_release CONTENT_LENGTH=12abc
	refused 400 "Content-Length is not a number"
	rm -rf "$SPOOL"
	collect appId=test_release CONTENT_LENGTH=-1
	refused 400 "Content-Length is not a number"
	rm -rf "$SPOOL"
	BODY_FILE=""
	collect appId=test_release
	refused 411 "Content-Length is required"
}

@test "GET /collect gets 405" {
	cgi GET /collect appId=test_release
	assert_eq "$cgi_status" 405
	assert_eq "$(header Allow)" POST
}

@test "when the spool cannot take the events: 503 with Retry-After, nothing half-written" {
	body "$SEED"
	collect appId=test_release
	assert_eq "$cgi_status" 200
	local before
	before=$(stat -c %s "$SPOOL/current.jsonl")
	# A file size limit makes the next append fail part-way.
	CGI_FSIZE=$((before + 100)) collect appId=test_release
	assert_eq "$cgi_status" 503
	assert_eq "$(header Retry-After)" 30
	[[ "$cgi_log" == *"error req="*"cannot store 2 event(s) and 0 rejection(s) in spool"* ]]
	assert_eq "$(stat -c %s "$SPOOL/current.jsonl")" "$before"
	assert_spool_whole
}

@test "topic_by_type: hostile event types still make legal topic names" {
	local long
	long=$(printf 'y%.0s' {1..250})
	write_config '[app typed]' 'topic_by_type = true'
	body "[$(event '' a | sed 's/"event_type":"t"/"event_type":"..\/x"/'),$(event '' b | sed "s/\"event_type\":\"t\"/\"event_type\":\"$long\"/"),$(event '' c | sed 's/"event_type":"t"/"event_type":"page view é"/'),$(event '' d | sed 's/"event_type":"t"/"event_type":"add_to_cart"/')]"
	collect appId=typed
	assert_eq "$cgi_status" 200
	spool_records | jq -r .topic >"$BATS_TEST_TMPDIR/topics"
	assert_eq "$(sed -n 1p "$BATS_TEST_TMPDIR/topics")" "clickstream-.._x-log"
	assert_eq "$(sed -n 2p "$BATS_TEST_TMPDIR/topics" | wc -c)" 250
	[[ "$(sed -n 2p "$BATS_TEST_TMPDIR/topics")" == clickstream-yyy* ]]
	assert_eq "$(sed -n 3p "$BATS_TEST_TMPDIR/topics")" "clickstream-page_view___-log"
	assert_eq "$(sed -n 4p "$BATS_TEST_TMPDIR/topics")" "clickstream-add_to_cart-log"
	# Every one is legal for Kafka.
	[ -z "$(grep -vE '^[A-Za-z0-9._-]{1,249}$' "$BATS_TEST_TMPDIR/topics")" ]
}
