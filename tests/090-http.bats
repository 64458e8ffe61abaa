#!/usr/bin/env bats
# HTTP matters every format shares: CORS for the browser SDKs and the
# client address.

load helpers/common

setup()
{
	sl_common_setup
	write_config '[source s]' '[datasource d]' '[http]' \
		'cors_origins = https://shop.example.com, http://localhost:8000'
}

@test "CORS: a preflight on every POST route from a listed origin" {
	local path
	for path in /e /collect /api/v1/events /track /collect/t/s /collect/d/rlvt; do
		cgi OPTIONS "$path" '' HTTP_ORIGIN=https://shop.example.com \
			HTTP_ACCESS_CONTROL_REQUEST_METHOD=POST \
			HTTP_ACCESS_CONTROL_REQUEST_HEADERS=content-type
		assert_eq "$cgi_status" 204
		assert_eq "$(header Access-Control-Allow-Origin)" https://shop.example.com
		assert_eq "$(header Access-Control-Allow-Credentials)" true
		assert_eq "$(header Access-Control-Allow-Methods)" POST
		assert_eq "$(header Access-Control-Allow-Headers)" content-type
		assert_eq "$(header Access-Control-Max-Age)" 600
	done
	[ -z "$(spool_records)" ]
}

@test "CORS: the answer to a listed origin names it, never *" {
	body '[{"event_type":"t","event_id":"e","timestamp":1,"app_id":"a"}]'
	cgi POST /collect appId=test_release HTTP_ORIGIN=http://localhost:8000
	assert_eq "$cgi_status" 200
	assert_eq "$(header Access-Control-Allow-Origin)" http://localhost:8000
	assert_eq "$(header Access-Control-Allow-Credentials)" true
	assert_eq "$(header Vary)" Origin
}

@test "CORS: an origin not in the list gets no CORS headers and a log line" {
	cgi OPTIONS /collect '' HTTP_ORIGIN=https://evil.example.net \
		HTTP_ACCESS_CONTROL_REQUEST_METHOD=POST
	assert_eq "$cgi_status" 204
	assert_eq "$(header Access-Control-Allow-Origin)" ""
	[[ "$cgi_log" == *"preflight for /collect from origin 'https://evil.example.net', which is not in http.cors_origins"* ]]
	body '{"a":"1"}'
	cgi POST /e '' HTTP_ORIGIN=https://evil.example.net
	assert_eq "$cgi_status" 200
	assert_eq "$(header Access-Control-Allow-Origin)" ""
	[[ "$cgi_log" == *"origin 'https://evil.example.net' is not in http.cors_origins"* ]]
	# Unlisted requested headers are not echoed back.
	cgi OPTIONS /collect '' HTTP_ORIGIN=https://shop.example.com \
		'HTTP_ACCESS_CONTROL_REQUEST_HEADERS=x-a: b'
	assert_eq "$(header Access-Control-Allow-Headers)" Content-Type
	cgi OPTIONS /nowhere '' HTTP_ORIGIN=https://shop.example.com
	assert_eq "$cgi_status" 404
}

@test "CORS: a wildcard or a path in cors_origins is refused by the config" {
	local v
	for v in '*' 'https://*.example.com' 'https://shop.example.com/app' 'shop.example.com'; do
		write_config '[http]' "cors_origins = $v"
		run "$(sl_bin sluice)" check-config "$CONF"
		[ "$status" -eq 1 ]
		[[ "$output" == *"http.cors_origins: '$v' is not an origin"* ]]
	done
}
