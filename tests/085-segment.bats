#!/usr/bin/env bats
# The Segment HTTP API through sluice.cgi: calls, batches, write keys,
# refusals, analytics.js's usage counters.

load helpers/common

setup()
{
	sl_common_setup
	write_config '[writekey wk_live_1]' '[writekey wk_topic]' 'topic = seg-events'
}

# The Basic credentials of the server libraries: base64("KEY:").
basic()
{
	printf 'HTTP_AUTHORIZATION=Basic %s' "$(printf '%s:' "$1" | base64 -w0)"
}

@test "segment: a track call with Basic auth (the server libraries) is one record" {
	body '{"userId":"u-1","event":"Order Completed","properties":{"revenue":39.9},"messageId":"msg-1","timestamp":"2024-05-01T12:00:00.123Z","context":{"library":{"name":"analytics-node"}}}'
	cgi POST /v1/track '' "$(basic wk_live_1)"
	assert_eq "$cgi_status" 200
	assert_eq "$(body_text)" '{"success":true}'
	assert_eq "$(header Content-Type)" application/json
	assert_eq "$(spool_values events | jq -c '[.protocol, .source, .event_type, .event_id, .event_ts, .ids.user, .ids.device, .data.properties.revenue]')" \
		'["segment","wk_live_1","Order Completed","msg-1",1714564800123,"u-1",null,39.9]'
}

@test "segment: a batch with writeKey in the body (analytics.js), context and sentAt for every call" {
	body '{"writeKey":"wk_topic","sentAt":"2024-05-01T12:00:01+02:00","context":{"ip":"x"},"batch":[
		{"type":"page","anonymousId":"a-1","name":"Home","messageId":"m1"},
		{"type":"identify","userId":"u-2","anonymousId":"a-1","traits":{"plan":"pro"}},
		{"type":"track","userId":null,"anonymousId":"a-1","event":"Clicked"},
		{"type":"alias","userId":"u-2","previousId":"a-1"},
		{"type":"group","userId":"u-2","groupId":"g-1"},
		{"type":"screen","userId":"u-2","name":"Cart"}]}'
	cgi POST /v1/batch
	assert_eq "$cgi_status" 200
	assert_eq "$(spool_values seg-events | jq -r .event_type | tr '\n' ' ')" \
		"page identify Clicked alias group screen "
	assert_eq "$(spool_values seg-events | jq -r '.meta.context.ip' | sort -u)" x
	assert_eq "$(spool_values seg-events | jq -r '.meta.sentAt' | sort -u)" "2024-05-01T12:00:01+02:00"
	assert_eq "$(spool_values seg-events | jq -r 'select(.event_type == "page") | .event_id')" m1
	# Without messageId, an event id is made.
	[[ "$(spool_values seg-events | jq -r 'select(.event_type == "Clicked") | .event_id')" =~ ^[0-9a-f-]{36}$ ]]
	assert_eq "$(spool_values seg-events | jq -r 'select(.event_type == "identify") | [.ids.user, .ids.device] | join(" ")')" "u-2 a-1"
}

@test "segment: the one-letter paths analytics.js uses are the same calls" {
	local p
	for p in t p s i g a; do
		body "{\"writeKey\":\"wk_live_1\",\"anonymousId\":\"a\",\"event\":\"E\",\"messageId\":\"$p\"}"
		cgi POST "/v1/$p"
		assert_eq "$cgi_status" 200
	done
	body '{"writeKey":"wk_live_1","batch":[{"type":"track","userId":"u","event":"B"}]}'
	cgi POST /v1/b
	assert_eq "$cgi_status" 200
	assert_eq "$(spool_values events | jq -r .event_type | tr '\n' ' ')" \
		"E page screen identify group alias B "
}

@test "segment: no write key or an unknown one is 401, with the reason" {
	body '{"userId":"u","event":"E"}'
	cgi POST /v1/track
	assert_eq "$cgi_status" 401
	assert_eq "$(body_text | jq -r .success)" false
	[[ "$(body_text | jq -r .message)" == "no write key"* ]]
	cgi POST /v1/track '' "$(basic nobody)"
	assert_eq "$cgi_status" 401
	assert_eq "$(body_text | jq -r .message)" "write key 'nobody' is not allowed"
	[ -z "$(spool_values events)" ]
	# Each refusal is on the bad-events topic with its reason.
	assert_eq "$(spool_values events-bad | jq -r .status | tr '\n' ' ')" "401 401 "
}

@test "segment: malformed calls are 400 with a message, and nothing of the batch is kept" {
	local row status want
	while IFS='|' read -r path status input want; do
		rm -rf "$SPOOL"
		body "$input"
		cgi POST "$path" '' "$(basic wk_live_1)"
		assert_eq "$cgi_status" "$status"
		assert_eq "$(body_text | jq -r .message)" "$want"
		[ -z "$(spool_values events)" ]
	done <<'ROWS'
/v1/track|400|{"event":"E"}|call 0: userId or anonymousId is required (a string of at most 256 bytes)
/v1/track|400|{"userId":"u"}|call 0: track needs event (a string of at most 256 bytes)
/v1/track|400|{"userId":5,"event":"E"}|call 0: userId or anonymousId is required (a string of at most 256 bytes)
/v1/track|400|{"userId":null,"anonymousId":null,"event":"E"}|call 0: userId or anonymousId is required (a string of at most 256 bytes)
/v1/batch|400|{"batch":[]}|batch must be a non-empty list of calls
/v1/batch|400|{"batch":[{"type":"track","userId":"u","event":"ok"},{"type":"t","userId":"u"}]}|call 1: type must be track, page, screen, identify, group or alias
/v1/batch|400|{"batch":[{"userId":"u"}]}|call 0: type must be track, page, screen, identify, group or alias
/v1/batch|400|{"batch":[1]}|call 0 is not a JSON object
/v1/track|400|[1]|body is not a JSON object
/v1/track|400|{"userId":|body is not well-formed JSON
/v1/nope|404|{"userId":"u"}|no such call: /v1/nope
ROWS
}

@test "segment: Segment's own limits: 32 KB a call, 500 KB a batch, 2,500 calls" {
	local pad
	pad=$(head -c 33000 /dev/zero | tr '\0' x)
	body "{\"userId\":\"u\",\"event\":\"E\",\"properties\":{\"p\":\"$pad\"}}"
	cgi POST /v1/track '' "$(basic wk_live_1)"
	assert_eq "$cgi_status" 400
	assert_eq "$(body_text | jq -r .message)" "call 0 is over 32 KB"
	head -c 520000 /dev/zero | tr '\0' ' ' >"$BATS_TEST_TMPDIR/big"
	BODY_FILE="$BATS_TEST_TMPDIR/big"
	cgi POST /v1/batch '' "$(basic wk_live_1)"
	assert_eq "$cgi_status" 400
	assert_eq "$(body_text | jq -r .message)" "body of 520000 bytes is over 500 KB"
	write_config '[writekey wk_live_1]' '[http]' 'max_events = 2'
	body '{"batch":[{"type":"page","userId":"u"},{"type":"page","userId":"u"},{"type":"page","userId":"u"}]}'
	cgi POST /v1/batch '' "$(basic wk_live_1)"
	assert_eq "$cgi_status" 400
	assert_eq "$(body_text | jq -r .message)" "more events than http.max_events (2)"
	write_config '[writekey wk_live_1]' '[http]' 'max_events = 3000'
	body "{\"batch\":[$(for i in $(seq 2501); do printf '{"type":"page","userId":"u"},'; done | sed 's/,$//')]}"
	cgi POST /v1/batch '' "$(basic wk_live_1)"
	assert_eq "$cgi_status" 400
	assert_eq "$(body_text | jq -r .message)" "2501 calls are over 2,500 in one batch"
}

@test "segment: analytics.js's usage counters (/v1/m) are answered and counted, not recorded" {
	body '{"series":[{"type":"Counter","metric":"analytics_js.invoke","value":1}]}'
	cgi POST /v1/m
	assert_eq "$cgi_status" 200
	assert_eq "$(body_text)" '{"success":true}'
	[ -z "$(spool_records)" ]
	BODY_FILE=""
	cgi GET /metrics '' REMOTE_ADDR=::1
	body_text | grep -qx 'sluice_requests_total{route="segment.metrics",status="200"} 1'
}

@test "segment: a preflight asking for Authorization and AnonymousId is allowed" {
	write_config '[writekey wk_live_1]' '[http]' 'cors_origins = https://shop.example.com'
	BODY_FILE=""
	cgi OPTIONS /v1/t '' HTTP_ORIGIN=https://shop.example.com \
		HTTP_ACCESS_CONTROL_REQUEST_METHOD=POST \
		'HTTP_ACCESS_CONTROL_REQUEST_HEADERS=content-type, authorization, anonymousid'
	assert_eq "$cgi_status" 204
	assert_eq "$(header Access-Control-Allow-Origin)" https://shop.example.com
	assert_eq "$(header Access-Control-Allow-Headers)" "content-type, authorization, anonymousid"
}
