# suite.bash - the request suite every server setup must pass: each
# format's happy path, its main refusals, the GIF, CORS and a body of
# 1 MiB + 1 byte. Load after helpers/common.
#
#   suite_config FILE SPOOL   write the configuration the suite expects
#   request_suite URL SPOOL   run it against a server at URL whose
#                             records land in SPOOL

suite_config()
{
	cat >"$1" <<CONF
[spool]
dir = $2
[http]
cors_origins = https://shop.example.com
[app test_release]
[source source-id]
[datasource my-datasource]
[writekey wk_suite]
CONF
}

request_suite()
{
	local url="$1" spool="$2" json='Content-Type: application/json'

	# clickstream: the seed's example, then refusals.
	assert_eq "$(http "$url/collect?appId=test_release&platform=Android&event_bundle_sequence_id=1" \
		-H "$json; charset=utf-8" -H 'X-Forwarded-For: 101.188.67.134' \
		--data '[{"event_type":"button_click","event_id":"suite-1","timestamp":1667877566697,"app_id":"your appId"},{"event_type":"item_view","event_id":"suite-2","timestamp":1667877565698,"app_id":"your appId"}]')" 200
	assert_eq "$(http "$url/collect?appId=nobody" -H "$json" --data '[]')" 403
	assert_eq "$(http "$url/collect?appId=test_release" -H "$json" \
		--data '[{"event_type":"t"}]')" 400
	assert_eq "$(cat "$HTTP_BODY")" "event 0: missing event_id"
	head -c 1048577 /dev/zero | tr '\0' ' ' >"$HTTP_BODY.big"
	assert_eq "$(http "$url/collect?appId=test_release" -H "$json" \
		--data-binary @"$HTTP_BODY.big")" 413
	assert_eq "$(cat "$HTTP_BODY")" "body of 1048577 bytes is over http.max_body (1048576)"
	# CORS preflight.
	assert_eq "$(http "$url/collect?appId=test_release" -X OPTIONS \
		-H 'Origin: https://shop.example.com' \
		-H 'Access-Control-Request-Method: POST')" 204
	grep -qi '^Access-Control-Allow-Origin: https://shop.example.com' "$HTTP_BODY.h"
	# beacon: the GIF and a JSON body.
	assert_eq "$(http "$url/pixel?tv001=111&tv002=123&tv003=mobile")" 200
	assert_eq "$(od -An -tx1 "$HTTP_BODY" | tr -d ' \n')" \
		47494638396101000100800100000000ffffff21f90401000000002c00000000010001000002024401003b
	grep -qi '^Content-Type: image/gif' "$HTTP_BODY.h"
	grep -qi '^Cache-Control: no-store' "$HTTP_BODY.h"
	assert_eq "$(http "$url/e" -H "$json" \
		--data '{"tv001":"111","tv002":"123","tv003":"web"}')" 200
	# raccoon.
	assert_eq "$(http "$url/api/v1/events" -H "$json" \
		--data '{"req_guid":"g","events":[{"event_bytes":"aGk=","type":"suite"}]}')" 200
	assert_eq "$(jq -c '[.status, .code, .data.req_guid]' "$HTTP_BODY")" '[1,1,"g"]'
	assert_eq "$(http "$url/api/v1/events" -H 'Content-Type: text/plain' --data '{}')" 400
	# tracardi.
	assert_eq "$(http "$url/track" -H "$json" \
		--data '{"source":{"id":"source-id"},"session":{"id":"s"},"profile":{"id":"p"},"events":[{"type":"page-view"}]}')" 200
	assert_eq "$(cat "$HTTP_BODY")" '{"profile":{"id":"p"}}'
	assert_eq "$(http "$url/track" -H "$json" \
		--data '{"source":{"id":"nobody"},"events":[{"type":"a"}]}')" 401
	assert_eq "$(http "$url/collect/coupon-received/source-id" -H "$json" --data '{"v":"1"}')" 200
	# reelevant.
	assert_eq "$(http "$url/collect/my-datasource/rlvt" -H "$json" \
		-A 'Mozilla/5.0 (X11)' \
		--data '{"key":"k","eventId":"suite-r","name":"n","url":"https://x.example/?q=1","v":1}')" 200
	assert_eq "$(http "$url/collect/unknown/rlvt" -H "$json" --data '{}')" 404
	# segment: an analytics.js batch (text/plain, writeKey in the body)
	# and a call without a write key.
	assert_eq "$(http "$url/v1/batch" -H 'Content-Type: text/plain' \
		--data '{"writeKey":"wk_suite","batch":[{"type":"track","userId":"u","event":"suite-seg","messageId":"suite-s"}]}')" 200
	assert_eq "$(cat "$HTTP_BODY")" '{"success":true}'
	assert_eq "$(http "$url/v1/track" -H "$json" --data '{"userId":"u","event":"E"}')" 401
	# snowplow: the tracker's POST and its GET pixel.
	assert_eq "$(http "$url/com.snowplowanalytics.snowplow/tp2" -H "$json; charset=UTF-8" \
		--data '{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4","data":[{"e":"pv","p":"web","tv":"js","eid":"suite-sp1"}]}')" 200
	assert_eq "$(cat "$HTTP_BODY")" ok
	assert_eq "$(http "$url/i?e=se&p=web&tv=js&eid=suite-sp2&se_ca=c&se_ac=a")" 200
	assert_eq "$(head -c 6 "$HTTP_BODY")" GIF89a
	assert_eq "$(http "$url/nowhere")" 404

	# Every accepted event is in the spool, once.
	assert_eq "$(spool_dir_values "$spool" events | jq -r .event_id | grep -c -e '^suite-1$' -e '^suite-2$' -e '^suite-r$')" 3
	assert_eq "$(spool_dir_values "$spool" events | jq -r .protocol | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')" \
		"beacon=2 clickstream=2 reelevant=1 segment=1 snowplow=2 tracardi=2 "
	assert_eq "$(spool_dir_records "$spool" | jq -r 'select(.topic == "clickstream-suite-log") | .value')" hi
	rm -f "$HTTP_BODY.big"
}

spool_dir_records()
{
	SPOOL="$1" spool_records
}

spool_dir_values()
{
	SPOOL="$1" spool_values "$2"
}
