#!/usr/bin/env bats
# Raccoon, Tracardi and Reelevant, driven through sluice.cgi.

load helpers/common

RACCOON_SEED='{
  "req_guid": "1234abcd",
  "sent_time": {
    "seconds": 1638154927,
    "nanos": 376499000
  },
  "events": [
    {
      "eventBytes": "Cg4KCHNlcnZpY2UxEgJBMRACIAEyiQEKJDczZTU3ZDlhLTAzMjQtNDI3Yy1hYTc5LWE4MzJjMWZkY2U5ZiISCcix9QzhsChAEekGEi1cMlNAKgwKAmlkEgJpZBjazUsyFwoDaU9zEgQxMi4zGgVBcHBsZSIDaTEwOiYKJDczZTU3ZDlhLTAzMjQtNDI3Yy1hYTc5LWE4MzJjMWZkY2U5Zg==",
      "type": "booking"
    }
  ]
}'

TRACARDI_SEED='{
  "source": {
    "id": "source-id"
  },
  "session": {
    "id": "session-id"
  },
  "profile": {
    "id": "profile-id"
  },
  "context": {},
  "properties": {},
  "events": [ 
    {
      "type": "purchase-order",
      "properties": {
        "product": "Nike shoes",
        "quantity": 1
      }
    },
    {
      "type": "page-view"
    }
  ],
  "options": { 
    
  }
}'

TRACARDI_REQUIRED='{
  "source": {
    "id": "source-id"
  },
  "session": {
    "id": "session-id"
  },
  "events": [
    {
      "type": "purchase-order",
      "properties": {
        "product": "Nike shoes",
        "quantity": 1
      }
    },
    {
      "type": "page-view"
    }
  ]
}'

REELEVANT='{"key":"61a095fdd8d2e20011544831","tmpId":"ckz2qlmkm00002y8pa227wee9","eventId":"ckz89g21600002y91xx7eaj56","name":"product_page","url":"https://shop.example.com/p/42?utm_source=x#reviews","ua":"Mozilla/5.0 (X11; Linux x86_64)","data":{"ids":["42"],"transId":"t-1","value":19.9,"locale":"fr"},"clientId":"user-7","v":1}'

setup()
{
	sl_common_setup
	write_config '[source source-id]' '[datasource my-datasource]' \
		'[http]' 'max_events = 5'
}

proto()
{
	protoc -I "$SLUICE_SRCDIR/tests/helpers" -I /usr/include \
		"$@" "$SLUICE_SRCDIR/tests/helpers/raccoon.proto"
}

# Encode a SendEventRequest from protobuf text format into $BODY_FILE.
pb_body()
{
	command -v protoc >/dev/null || skip "protoc is not installed (Debian: protobuf-compiler)"
	BODY_FILE="$BATS_TEST_TMPDIR/body"
	printf '%s' "$1" | proto --encode=raystack.raccoon.v1beta1.SendEventRequest >"$BODY_FILE"
}

pb_response()
{
	proto --decode=raystack.raccoon.v1beta1.SendEventResponse <"$CGI_BODY"
}

# --- raccoon --------------------------------------------------------------

@test "raccoon: the seed's JSON request gets the seed's response and a raw record" {
	body "$RACCOON_SEED"
	cgi POST /api/v1/events '' CONTENT_TYPE=application/json HTTP_X_USER_ID=654785432
	assert_eq "$cgi_status" 200
	assert_eq "$(header Content-Type)" application/json
	assert_eq "$(body_text | jq -c 'del(.sent_time)')" '{"status":1,"code":1,"data":{"req_guid":"1234abcd"}}'
	[ "$(body_text | jq .sent_time)" -gt 1700000000 ]
	assert_eq "$(spool_records | jq -r .topic)" clickstream-booking-log
	# The value is event_bytes, byte for byte.
	assert_eq "$(spool_records | jq -r .value_b64)" \
		"$(printf '%s' "$RACCOON_SEED" | jq -r '.events[0].eventBytes')"
	assert_eq "$(spool_records | jq -r '[.key, .headers.conn_id, .headers.req_guid, .headers.protocol, .headers.ip] | join(" ")')" \
		"654785432 654785432 1234abcd raccoon 203.0.113.7"
	# The media type in any case, with parameters; the answer in JSON.
	rm -rf "$SPOOL"
	cgi POST /api/v1/events '' 'CONTENT_TYPE= Application/JSON; charset=UTF-8'
	assert_eq "$cgi_status" 200
	assert_eq "$(header Content-Type)" application/json
	assert_eq "$(spool_records | jq -r .topic)" clickstream-booking-log
}

@test "raccoon: protobuf, 3 events: a protobuf response and 3 records equal to event_bytes" {
	pb_body 'req_guid: "guid-3" sent_time { seconds: 1700000000 nanos: 5 }
		events { event_bytes: "\x00\x01\x02\xff" type: "click" }
		events { event_bytes: "hello" type: "view" }
		events { event_bytes: "" type: "click" }'
	cgi POST /api/v1/events '' CONTENT_TYPE=application/proto
	assert_eq "$cgi_status" 200
	assert_eq "$(header Content-Type)" application/proto
	pb_response >"$BATS_TEST_TMPDIR/resp"
	grep -q '^status: STATUS_SUCCESS$' "$BATS_TEST_TMPDIR/resp"
	grep -q '^code: CODE_OK$' "$BATS_TEST_TMPDIR/resp"
	grep -q '^sent_time: [0-9]*$' "$BATS_TEST_TMPDIR/resp"
	assert_eq "$(grep -A3 '^data {' "$BATS_TEST_TMPDIR/resp" | tr -d ' \n')" 'data{key:"req_guid"value:"guid-3"}'
	assert_eq "$(spool_records | jq -r .topic | tr '\n' ' ')" \
		"clickstream-click-log clickstream-view-log clickstream-click-log "
	assert_eq "$(spool_records | jq -r '.value_b64 // (.value | @base64)' | tr '\n' ' ')" \
		"AAEC/w== aGVsbG8=  "
}

@test "raccoon: snake and camel names, RFC 3339 sent_time, content-type variants" {
	body '{"reqGuid":"g1","sentTime":"2023-11-14T22:13:20Z","events":[{"event_bytes":"aGk=","type":"a"}]}'
	cgi POST /api/v1/events '' 'CONTENT_TYPE=application/json; charset=utf-8'
	assert_eq "$cgi_status" 200
	assert_eq "$(body_text | jq -r .data.req_guid)" g1
	pb_body 'req_guid: "g2" events { event_bytes: "x" type: "b" }'
	cgi POST /api/v1/events '' CONTENT_TYPE=application/x-protobuf
	assert_eq "$cgi_status" 200
	cgi POST /api/v1/events '' CONTENT_TYPE=application/protobuf
	assert_eq "$cgi_status" 200
	assert_eq "$(spool_records | jq -r .value | tr '\n' ' ')" "hi x x "
}

@test "raccoon: envelope records when configured" {
	write_config '[raccoon]' 'envelope = true'
	body "$RACCOON_SEED"
	cgi POST /api/v1/events '' CONTENT_TYPE=application/json
	assert_eq "$cgi_status" 200
	assert_eq "$(spool_values clickstream-booking-log | jq -r '[.protocol, .event_type, .data.req_guid] | join(" ")')" \
		"raccoon booking 1234abcd"
}

@test "raccoon: bad requests get 400 and an ERROR response in the request's encoding" {
	local json reason
	while IFS='|' read -r json reason; do
		rm -rf "$SPOOL"
		body "$json"
		cgi POST /api/v1/events '' CONTENT_TYPE=application/json
		assert_eq "$cgi_status" 400
		assert_eq "$(body_text | jq -c '[.status, .code, .reason]')" "[2,2,\"$reason\"]"
		[[ "$cgi_log" == *"route=raccoon status=400 $reason"* ]]
		assert_eq "$(spool_values events-bad | jq -r .reason)" "$reason"
	done <<'ROWS'
{"events":[|body is not well-formed JSON
[]|body is not a JSON object
{"events":{}}|events is not an array
{"events":[{"type":"a","event_bytes":"*"}]}|events[0].event_bytes is not base64
{"events":[{"event_bytes":"aGk="}]}|event 0 has no type (or one over 256 bytes)
{"events":[]}|no events
{"req_guid":5,"events":[]}|req_guid is not a string
ROWS
	body '{"events":[]}'
	cgi POST /api/v1/events '' CONTENT_TYPE=text/plain
	assert_eq "$cgi_status" 400
	assert_eq "$(body_text | jq -r .reason)" "unsupported Content-Type 'text/plain': use application/json or application/proto"
}

@test "raccoon: hostile protobuf is a clear 400, never a crash" {
	command -v protoc >/dev/null || skip "protoc is not installed (Debian: protobuf-compiler)"
	local bytes reason
	BODY_FILE="$BATS_TEST_TMPDIR/body"
	while IFS='|' read -r bytes reason; do
		printf "$bytes" >"$BODY_FILE"
		cgi POST /api/v1/events '' CONTENT_TYPE=application/proto
		assert_eq "$cgi_status" 400
		pb_response | grep -q '^status: STATUS_ERROR$'
		pb_response | grep -q '^code: CODE_BAD_REQUEST$'
		assert_eq "$(pb_response | sed -n 's/^reason: "\(.*\)"$/\1/p')" "$reason"
	done <<'ROWS'
\x1a\x05\x0a\x03ab|SendEventRequest field 3 runs past the message
\x1a\xff\xff\xff\xff\x0f\x0a|SendEventRequest field 3 runs past the message
\x18\x01|SendEventRequest field 3 has the wrong wire type
\x1a\x02\x10\x01|Event field 2 has the wrong wire type
\x0a\x02\xc3\x28|req_guid is not valid UTF-8
\x0b\x01|malformed protobuf in SendEventRequest
\x80|malformed protobuf in SendEventRequest
\x1a\x03\x0a\x05a|Event.event_bytes runs past the message
ROWS
}

@test "raccoon: JSON nested 10,000 deep is a 400" {
	body "{\"events\":[$(printf '[%.0s' {1..10000})$(printf ']%.0s' {1..10000})]}"
	cgi POST /api/v1/events '' CONTENT_TYPE=application/json
	assert_eq "$cgi_status" 400
	assert_eq "$(body_text | jq -r .reason)" "JSON nested deeper than 64 levels"
}

@test "raccoon: more events than http.max_events gets 413" {
	pb_body "$(for i in 1 2 3 4 5 6; do printf 'events { event_bytes: "x" type: "t" } '; done)"
	cgi POST /api/v1/events '' CONTENT_TYPE=application/proto
	assert_eq "$cgi_status" 413
	pb_response | grep -q 'reason: "more events than http.max_events (5)"'
}

# --- tracardi --------------------------------------------------------------

@test "tracardi: the seed's full payload: profile id back, one record per event" {
	body "$TRACARDI_SEED"
	cgi POST /track
	assert_eq "$cgi_status" 200
	assert_eq "$(body_text)" '{"profile":{"id":"profile-id"}}'
	assert_eq "$(spool_values events | jq -r '[.event_type, .source, .ids.session, .ids.profile] | join(" ")' | tr '\n' '|')" \
		"purchase-order source-id session-id profile-id|page-view source-id session-id profile-id|"
	assert_eq "$(spool_values events | head -1 | jq -c '[.data.properties, .meta.context, .meta.profile_less]')" \
		'[{"product":"Nike shoes","quantity":1},{},false]'
}

@test "tracardi: only the required data: a new profile id is made and returned" {
	body "$TRACARDI_REQUIRED"
	cgi POST /track
	assert_eq "$cgi_status" 200
	local id
	id=$(body_text | jq -r .profile.id)
	[[ "$id" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]]
	assert_eq "$(spool_values events | jq -r .ids.profile | sort -u)" "$id"
}

@test "tracardi: profile_less=true creates no profile" {
	body "$TRACARDI_REQUIRED"
	cgi POST /track profile_less=true
	assert_eq "$cgi_status" 200
	assert_eq "$(body_text)" '{"profile":{"id":null}}'
	assert_eq "$(spool_values events | jq -r '.ids.profile' | sort -u)" null
	assert_eq "$(spool_values events | jq -r '.ids.session' | sort -u)" session-id
}

@test "tracardi: a missing session id is generated" {
	body '{"source":{"id":"source-id"},"events":[{"type":"a"}]}'
	cgi POST /track
	assert_eq "$cgi_status" 200
	[[ "$(spool_values events | jq -r .ids.session)" =~ ^[0-9a-f-]{36}$ ]]
}

@test "tracardi: errors: 401 for an unknown source, 422 with a detail otherwise" {
	local json status reason
	while IFS='|' read -r json status reason; do
		rm -rf "$SPOOL"
		body "$json"
		cgi POST /track
		assert_eq "$cgi_status" "$status"
		assert_eq "$(body_text | jq -r .detail)" "$reason"
		[[ "$cgi_log" == *"route=tracardi.track status=$status $reason"* ]]
		assert_eq "$(spool_values events-bad | jq -r .reason)" "$reason"
	done <<'ROWS'
{"source":{"id":"nobody"},"events":[{"type":"a"}]}|401|source 'nobody' is not allowed
{"events":[{"type":"a"}]}|422|field required: source.id
{"source":{"id":"source-id"}}|422|field required: events
{"source":{"id":"source-id"},"events":[]}|422|events must be a non-empty list
{"source":{"id":"source-id"},"events":[{"properties":{}}]}|422|field required: events[0].type
{"source":{"id":"source-id"},"events":[{"type":"a","properties":[]}]}|422|events[0] must be {type, properties?, context?, options?}
{"source":{"id":"source-id"},"context":"x","events":[{"type":"a"}]}|422|context must be an object
{"source":|422|body is not well-formed JSON
[]|422|body is not a JSON object
ROWS
}

@test "tracardi: POST /collect/{event-type}/{source-id}: the body is the properties" {
	body '{"voucher":"SUMMER-42"}'
	cgi POST /collect/coupon-received/source-id
	assert_eq "$cgi_status" 200
	assert_eq "$(body_text)" '{"profile":{"id":null}}'
	assert_eq "$(spool_values events | jq -c '[.event_type, .source, .ids.session, .ids.profile, .data]')" \
		'["coupon-received","source-id",null,null,{"voucher":"SUMMER-42"}]'
	rm -rf "$SPOOL"
	cgi POST /collect/coupon-received/nobody
	assert_eq "$cgi_status" 401
	assert_eq "$(body_text | jq -r .detail)" "source 'nobody' is not allowed"
	body '[1]'
	cgi POST /collect/coupon-received/source-id
	assert_eq "$cgi_status" 422
}

# --- reelevant ------------------------------------------------------------

@test "reelevant: an event is accepted with an empty 200, url stripped" {
	body "$REELEVANT"
	cgi POST /collect/my-datasource/rlvt
	assert_eq "$cgi_status" 200
	[ ! -s "$CGI_BODY" ]
	assert_eq "$(spool_values events | jq -r '[.event_id, .event_type, .source, .ids.device, .ids.user, .data.url] | join(" ")')" \
		"ckz89g21600002y91xx7eaj56 product_page my-datasource ckz2qlmkm00002y8pa227wee9 user-7 https://shop.example.com/p/42"
	# No timestamp: the receive time.
	assert_eq "$(spool_values events | jq '.event_ts == .received_at')" true
	assert_eq "$(spool_values events | jq -c .data.data)" '{"ids":["42"],"transId":"t-1","value":19.9,"locale":"fr"}'
}

@test "reelevant: a timestamp in seconds is kept, as milliseconds" {
	body "$(printf '%s' "$REELEVANT" | jq -c '.timestamp = 1700000000')"
	cgi POST /collect/my-datasource/rlvt
	assert_eq "$cgi_status" 200
	assert_eq "$(spool_values events | jq .event_ts)" 1700000000000
}

@test "reelevant: a bot gets 202 and is recorded as bot traffic" {
	body "$(printf '%s' "$REELEVANT" | jq -c '.ua = "Mozilla/5.0 (compatible; Googlebot/2.1)"')"
	cgi POST /collect/my-datasource/rlvt
	assert_eq "$cgi_status" 202
	[ ! -s "$CGI_BODY" ]
	assert_eq "$(spool_values events | jq .meta.bot)" true
}

@test "reelevant: a reserved label of the wrong type is dropped, the hit still counts" {
	body "$(printf '%s' "$REELEVANT" | jq -c '.data.ids = "42" | .data.value = "cheap"')"
	cgi POST /collect/my-datasource/rlvt
	assert_eq "$cgi_status" 200
	assert_eq "$(spool_values events | jq -c '[.data.data, .meta.dropped_labels]')" '[{"transId":"t-1","locale":"fr"},2]'
	[[ "$cgi_log" == *"label 'ids' has the wrong type: dropped"* ]]
}

@test "reelevant: 400 for malformed input, 404 for an unknown datasource, empty bodies" {
	local json path status
	while IFS='|' read -r path json status; do
		body "$json"
		cgi POST "$path"
		assert_eq "$cgi_status" "$status"
		[ ! -s "$CGI_BODY" ]
	done <<ROWS
/collect/unknown-ds/rlvt|$REELEVANT|404
/collect/bad.id/rlvt|$REELEVANT|400
/collect/my-datasource/rlvt|{"key":"k"|400
/collect/my-datasource/rlvt|$(printf '%s' "$REELEVANT" | jq -c 'del(.name)')|400
/collect/my-datasource/rlvt|$(printf '%s' "$REELEVANT" | jq -c 'del(.eventId)')|400
/collect/my-datasource/rlvt|$(printf '%s' "$REELEVANT" | jq -c 'del(.key)')|400
/collect/my-datasource/rlvt|$(printf '%s' "$REELEVANT" | jq -c '.v = 2')|400
ROWS
	[ -z "$(spool_values events)" ]
	[ "$(spool_values events-bad | wc -l)" -eq 7 ]
}

# --- routes ---------------------------------------------------------------

@test "routes: /collect/{id}/rlvt beats /collect/{type}/{source}; /collect?appId= is clickstream" {
	write_config '[source rlvt]' '[source src]' '[datasource x]'
	body "$REELEVANT"
	cgi POST /collect/x/rlvt
	assert_eq "$cgi_status" 200
	assert_eq "$(spool_values events | jq -r .protocol)" reelevant
	rm -rf "$SPOOL"
	body '{"a":"1"}'
	cgi POST /collect/x/src
	assert_eq "$cgi_status" 200
	assert_eq "$(spool_values events | jq -r .protocol)" tracardi
	rm -rf "$SPOOL"
	body '[{"event_type":"t","event_id":"e","timestamp":1,"app_id":"a"}]'
	cgi POST /collect appId=test_release
	assert_eq "$cgi_status" 200
	assert_eq "$(spool_values events | jq -r .protocol)" clickstream
}

@test "spool over its watermark: raccoon 503 INTERNAL_ERROR, tracardi 503, reelevant 200 and a loud drop" {
	write_config '[source source-id]' '[datasource my-datasource]' \
		'[spool]' 'max_size = 100'
	cgi GET /pixel "pad=$(printf 'x%.0s' {1..200})"
	body "$RACCOON_SEED"
	cgi POST /api/v1/events '' CONTENT_TYPE=application/json
	assert_eq "$cgi_status" 503
	assert_eq "$(header Retry-After)" 30
	assert_eq "$(body_text | jq -c '[.status, .code, .reason]')" '[2,3,"collector is busy, retry later"]'
	body "$TRACARDI_REQUIRED"
	cgi POST /track
	assert_eq "$cgi_status" 503
	assert_eq "$(body_text | jq -r .detail)" "collector is busy, retry later"
	body "$REELEVANT"
	cgi POST /collect/my-datasource/rlvt
	assert_eq "$cgi_status" 200
	[[ "$cgi_log" == *"error req="*"route=reelevant event dropped: spool $SPOOL is over its high watermark"* ]]
	assert_eq "$(spool_records | wc -l)" 1
}
