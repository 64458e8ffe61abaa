#!/usr/bin/env bats
# The beacon format: POST /e and GET /pixel, always 200.

load helpers/common

setup()
{
	sl_common_setup
	write_config
}

# The one bad-event record of the test, and its reason.
# Fail unless the spool holds exactly one bad-events record, for reason $1.
assert_bad_reason()
{
	assert_eq "$(spool_values events-bad | wc -l)" 1 || return 1
	assert_eq "$(spool_values events-bad | jq -r .reason)" "$1"
}

@test "POST /e: the seed's example is recorded as one event" {
	body '{
    "tv001": "111",
    "tv002": "123",
    "tv003": "web"
}'
	cgi POST /e
	assert_eq "$cgi_status" 200
	[ ! -s "$CGI_BODY" ]
	[ "$(spool_values events | wc -l)" -eq 1 ]
	assert_eq "$(spool_values events | jq -c .data)" \
		'{"tv001":"111","tv002":"123","tv003":"web"}'
	assert_eq "$(spool_values events | jq -r '.protocol + " " + .event_type')" \
		"beacon beacon"
	[[ "$(spool_values events | jq -r .event_id)" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]]
	assert_eq "$(spool_values events | jq -r .ip)" 203.0.113.7
	[ -z "$(spool_values events-bad)" ]
}

@test "POST /e: sendBeacon's text/plain body is accepted" {
	body '{"page":"/home","n":3,"ok":true,"none":null}'
	cgi POST /e '' CONTENT_TYPE=text/plain HTTP_USER_AGENT='Mozilla/5.0 (X11)'
	assert_eq "$cgi_status" 200
	assert_eq "$(spool_values events | jq -c .data)" \
		'{"page":"/home","n":3,"ok":true,"none":null}'
	assert_eq "$(spool_values events | jq -r .user_agent)" 'Mozilla/5.0 (X11)'
}

@test "POST /e: blanks between the members are not kept in the record" {
	body $'{ "page" : "/a b" ,\n  "n" : 3 }'
	cgi POST /e '' CONTENT_TYPE=text/plain
	assert_eq "$cgi_status" 200
	# the record's own text, not parsed: compact, the string untouched
	spool_records | jq -r .value | grep -qF '"data":{"page":"/a b","n":3}'
}

@test "POST /e: the event type is configurable" {
	write_config '[beacon]' 'event_type = page_hit' 'topic = hits'
	body '{"a":"1"}'
	cgi POST /e
	assert_eq "$cgi_status" 200
	assert_eq "$(spool_values hits | jq -r .event_type)" page_hit
}

@test "GET /pixel: the seed's example answers the 43-byte GIF, not cached" {
	cgi GET /pixel 'tv001=111&tv002=123&tv003=mobile'
	assert_eq "$cgi_status" 200
	assert_eq "$(header Content-Type)" image/gif
	assert_eq "$(header Content-Length)" 43
	[[ "$(header Cache-Control)" == *no-store* ]]
	assert_eq "$(stat -c %s "$CGI_BODY")" 43
	assert_eq "$(od -An -tx1 "$CGI_BODY" | tr -d ' \n')" \
		47494638396101000100800100000000ffffff21f90401000000002c00000000010001000002024401003b
	assert_eq "$(spool_values events | jq -c .data)" \
		'{"tv001":"111","tv002":"123","tv003":"mobile"}'
}

@test "GET /pixel: percent-escapes and '+' are decoded, first of a repeated name wins" {
	cgi GET /pixel 'q=caf%C3%A9+au+lait&q=second&path=%2Fa%2Fb'
	assert_eq "$cgi_status" 200
	assert_eq "$(spool_values events | jq -c .data)" \
		'{"q":"café au lait","path":"/a/b"}'
}

@test "bad beacon input is answered 200, logged and recorded with its reason" {
	local row reason
	while IFS='|' read -r kind input reason; do
		rm -rf "$SPOOL"
		case "$kind" in
		post) body "$input"; cgi POST /e ;;
		pixel) BODY_FILE=""; cgi GET /pixel "$input" ;;
		esac
		assert_eq "$cgi_status" 200
		[ -z "$(spool_values events)" ]
		assert_bad_reason "$reason"
		[[ "$cgi_log" == *"warn req="*"route=beacon."*"status=200 $reason"* ]]
	done <<'ROWS'
post|not json|body is not well-formed JSON
post|{"a":1|body is not well-formed JSON
post|["a"]|body is not a JSON object
post|{"a":{"b":1}}|a value is an object or array, not a string, number, boolean or null
post|{}|no fields
post||empty body
post|{"a":"\u0000"}|string holds an escaped NUL (\u0000)
pixel||no fields
pixel|a=%zz|query has a bad %-escape
pixel|a=%ff%fe|query is not valid UTF-8 text once decoded
pixel|=x|query has a parameter with no name
ROWS
}

@test "POST /e: invalid UTF-8 is recorded as base64, answered 200" {
	BODY_FILE="$BATS_TEST_TMPDIR/body"
	printf '{"a":"\xc0\xaf"}' >"$BODY_FILE"
	cgi POST /e
	assert_eq "$cgi_status" 200
	assert_bad_reason "body is not valid UTF-8 text"
	assert_eq "$(spool_values events-bad | jq -r .body_b64 | base64 -d | od -An -tx1 | tr -d ' \n')" \
		7b2261223a22c0af227d
}

@test "POST /e: a body over max_body is not read, answered 200 and recorded" {
	BODY_FILE=""
	cgi POST /e '' CONTENT_LENGTH=1048577
	assert_eq "$cgi_status" 200
	assert_bad_reason "body of 1048577 bytes is over http.max_body (1048576)"
	assert_eq "$(spool_values events-bad | jq -r '.body // "none"')" none
}

@test "wrong methods get 405 with Allow, unknown paths 404" {
	cgi GET /e
	assert_eq "$cgi_status" 405
	assert_eq "$(header Allow)" POST
	cgi POST /pixel
	assert_eq "$cgi_status" 405
	assert_eq "$(header Allow)" GET
	cgi GET /nowhere
	assert_eq "$cgi_status" 404
	[[ "$cgi_log" == *"status=404 GET /nowhere"* ]]
}
