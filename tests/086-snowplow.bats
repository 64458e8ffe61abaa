#!/usr/bin/env bats
# The Snowplow tracker protocol through sluice.cgi: POST tp2, GET /i.

load helpers/common

setup()
{
	sl_common_setup
	write_config '[http]' 'cors_origins = https://shop.example.com'
}

TP2=/com.snowplowanalytics.snowplow/tp2
SCHEMA=iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4

# base64 in the JS tracker's form: URL-safe alphabet, no padding.
b64url()
{
	printf '%s' "$1" | base64 -w0 | tr '+/' '-_' | tr -d =
}

@test "snowplow: POST tp2, a page view and a self-describing event, the answer ok" {
	body "{\"schema\":\"$SCHEMA\",\"data\":[
		{\"e\":\"pv\",\"p\":\"web\",\"tv\":\"js-4.1.0\",\"aid\":\"shop\",\"eid\":\"ev-1\",\"dtm\":\"1714564800123\",\"duid\":\"d-1\",\"sid\":\"s-1\",\"url\":\"https://shop.example.com/\",\"co\":\"{\\\"schema\\\":\\\"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0\\\",\\\"data\\\":[{\\\"schema\\\":\\\"iglu:com.acme/page/jsonschema/1-0-0\\\",\\\"data\\\":{\\\"id\\\":\\\"p1\\\"}}]}\"},
		{\"e\":\"ue\",\"p\":\"web\",\"tv\":\"js-4.1.0\",\"aid\":\"shop\",\"eid\":\"ev-2\",\"uid\":\"u-1\",\"ue_pr\":\"{\\\"schema\\\":\\\"iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0\\\",\\\"data\\\":{\\\"schema\\\":\\\"iglu:com.acme/link_click/jsonschema/1-0-0\\\",\\\"data\\\":{\\\"target\\\":\\\"/buy\\\"}}}\"}]}"
	cgi POST "$TP2" '' CONTENT_TYPE='application/json; charset=UTF-8'
	assert_eq "$cgi_status" 200
	assert_eq "$(body_text)" ok
	assert_eq "$(spool_values events | jq -c '[.protocol, .source, .event_type, .event_id, .event_ts, .ids.device, .ids.user, .ids.session]' | tr '\n' ' ')" \
		'["snowplow","shop","page_view","ev-1",1714564800123,"d-1",null,"s-1"] ["snowplow","shop","link_click","ev-2",null,null,"u-1",null] '
	# Every field as sent, and the decoded JSON beside it.
	assert_eq "$(spool_values events | jq -r 'select(.event_id == "ev-1") | .data.contexts.data[0].data.id')" p1
	assert_eq "$(spool_values events | jq -r 'select(.event_id == "ev-1") | .data.co | fromjson | .data[0].data.id')" p1
	assert_eq "$(spool_values events | jq -r 'select(.event_id == "ev-2") | .data.unstruct_event.data.data.target')" /buy
}

@test "snowplow: every payload_data version 1-0-0 to 1-0-4 is taken, others are 400" {
	local v
	for v in 0 1 2 3 4; do
		body "{\"schema\":\"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-$v\",\"data\":[{\"e\":\"pv\",\"p\":\"web\",\"tv\":\"t\"}]}"
		cgi POST "$TP2"
		assert_eq "$cgi_status" 200
	done
	body '{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-5","data":[{"e":"pv","p":"web","tv":"t"}]}'
	cgi POST "$TP2"
	assert_eq "$cgi_status" 400
	assert_eq "$(body_text)" "schema must be payload_data 1-0-0 to 1-0-4"
	# A generated event id where eid is missing.
	[[ "$(spool_values events | jq -r .event_id | head -n 1)" =~ ^[0-9a-f-]{36}$ ]]
}

@test "snowplow: GET /i, base64 in either alphabet, the GIF with no-cache and credentialed CORS" {
	local ue co
	ue=$(b64url '{"schema":"iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0","data":{"schema":"iglu:com.acme/add_to_cart/jsonschema/1-0-0","data":{"sku":"a>b?"}}}')
	co=$(printf '%s' '{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0","data":[]}' | base64 -w0)
	BODY_FILE=""
	cgi GET /i "e=ue&p=web&tv=js-4&aid=shop&eid=g-1&ue_px=$ue&cx=${co//=/%3D}" \
		HTTP_ORIGIN=https://shop.example.com
	assert_eq "$cgi_status" 200
	assert_eq "$(header Content-Type)" image/gif
	assert_eq "$(header Cache-Control)" "no-cache, no-store, must-revalidate"
	assert_eq "$(header Access-Control-Allow-Origin)" https://shop.example.com
	assert_eq "$(header Access-Control-Allow-Credentials)" true
	assert_eq "$(stat -c %s "$CGI_BODY")" 43
	assert_eq "$(spool_values events | jq -c '[.event_type, .event_id, .data.unstruct_event.data.data.sku, (.data.contexts.data | length)]')" \
		'["add_to_cart","g-1","a>b?",0]'
}

@test "snowplow: SP-Anonymous: * anonymises the address whatever the configuration says" {
	BODY_FILE=""
	cgi GET /i 'e=pv&p=web&tv=t&eid=anon' REMOTE_ADDR=198.51.100.77 HTTP_SP_ANONYMOUS='*'
	assert_eq "$cgi_status" 200
	cgi GET /i 'e=pv&p=web&tv=t&eid=named' REMOTE_ADDR=198.51.100.77
	assert_eq "$(spool_values events | jq -r '[.event_id, .ip] | join(" ")' | tr '\n' ';')" \
		"anon 198.51.100.0;named 198.51.100.77;"
}

@test "snowplow: refusals are 400 with a reason, and nothing of a refused batch is kept" {
	local input want
	while IFS='|' read -r input want; do
		rm -rf "$SPOOL"
		body "$input"
		cgi POST "$TP2"
		assert_eq "$cgi_status" 400
		assert_eq "$(body_text)" "$want"
		[ -z "$(spool_values events)" ]
		assert_eq "$(spool_values events-bad | jq -r .reason)" "$want"
	done <<ROWS
{"schema":"$SCHEMA","data":[{"e":"pv","p":"web","tv":"t"},{"e":"xx","p":"web","tv":"t"}]}|event 1: e must be pv, pp, se, ue, tr or ti
{"schema":"$SCHEMA","data":[{"e":"pv","p":"web"}]}|event 0: e, p and tv are required
{"schema":"$SCHEMA","data":[{"e":"pv","p":"web","tv":"t","n":1}]}|event 0: n is not a string
{"schema":"$SCHEMA","data":[{"e":"ue","p":"web","tv":"t","ue_px":"!!"}]}|event 0: ue_pr/ue_px or co/cx is not (base64 of) a JSON object
{"schema":"$SCHEMA","data":[{"e":"ue","p":"web","tv":"t"}]}|event 0: e=ue needs ue_pr or ue_px with an event whose schema names it
{"schema":"$SCHEMA","data":[]}|data must be a non-empty list of events
{"schema":"$SCHEMA","data":[1]}|event 0 is not a JSON object
{"data":[]}|schema must be payload_data 1-0-0 to 1-0-4
[1]|body is not a JSON object
ROWS
	BODY_FILE=""
	cgi GET /i 'e=pv&p=web'
	assert_eq "$cgi_status" 400
	assert_eq "$(body_text)" "event 0: e, p and tv are required"
}

@test "snowplow: too many events or too large a body is 400, which the trackers do not retry" {
	write_config '[http]' 'max_events = 2' 'max_body = 2000'
	body "{\"schema\":\"$SCHEMA\",\"data\":[{\"e\":\"pv\",\"p\":\"web\",\"tv\":\"t\"},{\"e\":\"pv\",\"p\":\"web\",\"tv\":\"t\"},{\"e\":\"pv\",\"p\":\"web\",\"tv\":\"t\"}]}"
	cgi POST "$TP2"
	assert_eq "$cgi_status" 400
	assert_eq "$(body_text)" "more events than http.max_events (2)"
	head -c 3000 /dev/zero | tr '\0' ' ' >"$BATS_TEST_TMPDIR/big"
	BODY_FILE="$BATS_TEST_TMPDIR/big"
	cgi POST "$TP2"
	assert_eq "$cgi_status" 400
	assert_eq "$(body_text)" "body of 3000 bytes is over http.max_body (2000)"
	[ -z "$(spool_values events)" ]
}

@test "snowplow: a preflight for the POST allows the headers the tracker asks for" {
	BODY_FILE=""
	cgi OPTIONS "$TP2" '' HTTP_ORIGIN=https://shop.example.com \
		HTTP_ACCESS_CONTROL_REQUEST_METHOD=POST \
		'HTTP_ACCESS_CONTROL_REQUEST_HEADERS=content-type, sp-anonymous'
	assert_eq "$cgi_status" 204
	assert_eq "$(header Access-Control-Allow-Credentials)" true
	assert_eq "$(header Access-Control-Allow-Headers)" "content-type, sp-anonymous"
}
