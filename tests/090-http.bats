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
	# origins compare without regard to case; the answer echoes the request's
	cgi POST /collect appId=test_release HTTP_ORIGIN=HTTPS://Shop.Example.COM
	assert_eq "$(header Access-Control-Allow-Origin)" HTTPS://Shop.Example.COM
	cgi POST /collect appId=test_release HTTP_ORIGIN=https://shop.example.co
	assert_eq "$(header Access-Control-Allow-Origin)" ""
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

# The address recorded for a beacon hit with the given CGI variables.
recorded_ip()
{
	rm -rf "$SPOOL"
	cgi GET /pixel a=1 "$@"
	spool_values events | jq -r .ip
}

@test "/metrics and /health: loopback only by default, can be turned off" {
	cgi GET /pixel a=1
	body 'nope'
	cgi POST /e
	cgi GET /metrics '' REMOTE_ADDR=::1
	assert_eq "$cgi_status" 200
	[[ "$(header Content-Type)" == "text/plain; version=0.0.4"* ]]
	body_text | grep -qx 'sluice_requests_total{route="beacon.pixel",status="200"} 1'
	body_text | grep -qx 'sluice_events_total{outcome="rejected"} 1'
	body_text | grep -qx 'sluice_spool_files 1'
	cgi GET /metrics '' REMOTE_ADDR=198.51.100.9
	assert_eq "$cgi_status" 403
	[[ "$cgi_log" == *"status=403 /metrics from 198.51.100.9, which is not in http.status_from"* ]]
	cgi GET /health '' REMOTE_ADDR=198.51.100.9
	assert_eq "$cgi_status" 403
	write_config '[routes]' 'metrics = off' '[http]' 'status_from = 198.51.100.0/24'
	cgi GET /metrics '' REMOTE_ADDR=198.51.100.9
	assert_eq "$cgi_status" 404
	cgi GET /health '' REMOTE_ADDR=198.51.100.9
	assert_eq "$cgi_status" 200
}

@test "routes: a format mounted at several paths answers at each, counted as one route" {
	write_config '[source s]' '[routes]' \
		'clickstream = /collect, /s/c' \
		'beacon_pixel = /pixel,/p.gif' \
		'tracardi_collect = /collect/{event-type}/{source-id}, /t/{event-type}/{source-id}'
	body '[{"event_type":"t","event_id":"first-party","timestamp":1,"app_id":"a"}]'
	cgi POST /s/c appId=test_release
	assert_eq "$cgi_status" 200
	cgi POST /collect appId=test_release
	assert_eq "$cgi_status" 200
	BODY_FILE=""
	cgi GET /p.gif a=1
	assert_eq "$cgi_status" 200
	assert_eq "$(header Content-Type)" image/gif
	body '{"v":"1"}'
	cgi POST /t/coupon/s
	assert_eq "$cgi_status" 200
	assert_eq "$(spool_values events | jq -r '.event_type' | sort | tr '\n' ' ')" \
		"beacon coupon t t "
	BODY_FILE=""
	cgi GET /metrics '' REMOTE_ADDR=::1
	body_text | grep -qx 'sluice_requests_total{route="clickstream",status="200"} 2'
	body_text | grep -qx 'sluice_requests_total{route="beacon.pixel",status="200"} 1'
	body_text | grep -qx 'sluice_requests_total{route="tracardi.collect",status="200"} 1'
	# A path of none of the lists is still not found.
	cgi GET /s/x
	assert_eq "$cgi_status" 404
}

@test "client address: a forged X-Forwarded-For from an untrusted peer is ignored" {
	assert_eq "$(recorded_ip REMOTE_ADDR=198.51.100.9 HTTP_X_FORWARDED_FOR=1.2.3.4)" 198.51.100.9
	assert_eq "$(recorded_ip REMOTE_ADDR=198.51.100.9 'HTTP_FORWARDED=for=1.2.3.4')" 198.51.100.9
	write_config '[http]' 'client_ip_header = CF-Connecting-IP'
	assert_eq "$(recorded_ip REMOTE_ADDR=198.51.100.9 HTTP_CF_CONNECTING_IP=1.2.3.4)" 198.51.100.9
}

@test "client address: behind trusted proxies the right-most untrusted hop wins" {
	write_config '[http]' 'trusted_proxies = 127.0.0.1/32, 10.0.0.0/8, ::1/128, fd00::/8'
	# A client that prepends its own X-Forwarded-For cannot choose.
	assert_eq "$(recorded_ip REMOTE_ADDR=127.0.0.1 'HTTP_X_FORWARDED_FOR=6.6.6.6, 203.0.113.50, 10.0.0.2')" 203.0.113.50
	assert_eq "$(recorded_ip REMOTE_ADDR=::1 'HTTP_X_FORWARDED_FOR=2001:db8::7, fd00::1')" 2001:db8::7
	# RFC 7239 Forwarded, quoted IPv6 with a port, takes precedence.
	assert_eq "$(recorded_ip REMOTE_ADDR=127.0.0.1 'HTTP_FORWARDED=for=6.6.6.6, for="[2001:db8::9]:4711";proto=https, for=10.1.1.1' HTTP_X_FORWARDED_FOR=7.7.7.7)" 2001:db8::9
	# Garbage stops the walk at the last trusted hop.
	assert_eq "$(recorded_ip REMOTE_ADDR=127.0.0.1 'HTTP_X_FORWARDED_FOR=1.2.3.4, not-an-ip, 10.0.0.3')" 10.0.0.3
	assert_eq "$(recorded_ip REMOTE_ADDR=127.0.0.1 'HTTP_FORWARDED=for=unknown')" 127.0.0.1
}

@test "client address: trusted networks whose prefix ends inside a byte" {
	write_config '[http]' 'trusted_proxies = 100.64.0.0/10, 2001:db8:8000::/33, 192.0.2.129/25'
	# 100.64.0.0/10 is 100.64.0.0 to 100.127.255.255
	assert_eq "$(recorded_ip REMOTE_ADDR=100.127.255.254 HTTP_X_FORWARDED_FOR=203.0.113.1)" 203.0.113.1
	assert_eq "$(recorded_ip REMOTE_ADDR=100.128.0.1 HTTP_X_FORWARDED_FOR=203.0.113.1)" 100.128.0.1
	assert_eq "$(recorded_ip REMOTE_ADDR=100.63.255.255 HTTP_X_FORWARDED_FOR=203.0.113.1)" 100.63.255.255
	# the 33rd bit set: 2001:db8:8000:: to 2001:db8:ffff:ffff:...
	assert_eq "$(recorded_ip REMOTE_ADDR=2001:db8:ffff::1 HTTP_X_FORWARDED_FOR=203.0.113.2)" 203.0.113.2
	assert_eq "$(recorded_ip REMOTE_ADDR=2001:db8:7fff::1 HTTP_X_FORWARDED_FOR=203.0.113.2)" 2001:db8:7fff::1
	# a host address with bits past the prefix: its network is 192.0.2.128/25
	assert_eq "$(recorded_ip REMOTE_ADDR=192.0.2.200 HTTP_X_FORWARDED_FOR=203.0.113.3)" 203.0.113.3
	assert_eq "$(recorded_ip REMOTE_ADDR=192.0.2.127 HTTP_X_FORWARDED_FOR=203.0.113.3)" 192.0.2.127
	# an IPv4 network does not hold the IPv6 address that shares its bytes
	# (inet_ntop writes it the old IPv4-compatible way)
	assert_eq "$(recorded_ip REMOTE_ADDR=::6440:1 HTTP_X_FORWARDED_FOR=203.0.113.4)" ::100.64.0.1
}

@test "a request with more variables than the core indexes is read all the same" {
	local -a pad=() i
	# Past 48 variables the core asks the transport for each by name.
	for i in $(seq 1 60); do pad+=("HTTP_X_PAD_$i=$i"); done
	rm -rf "$SPOOL"
	cgi GET /pixel 'a=1' HTTP_USER_AGENT=many/1.0 HTTP_ORIGIN=https://shop.example.com \
		REMOTE_ADDR=127.0.0.1 HTTP_X_FORWARDED_FOR=203.0.113.60 "${pad[@]}"
	assert_eq "$cgi_status" 200
	assert_eq "$(header Access-Control-Allow-Origin)" https://shop.example.com
	assert_eq "$(spool_values events | jq -c '[.ip, .user_agent, .data.a]')" '["203.0.113.60","many/1.0","1"]'
}

@test "client address: a configured header from a trusted peer" {
	write_config '[http]' 'client_ip_header = CF-Connecting-IP'
	assert_eq "$(recorded_ip REMOTE_ADDR=127.0.0.1 HTTP_CF_CONNECTING_IP=203.0.113.77 HTTP_X_FORWARDED_FOR=1.1.1.1)" 203.0.113.77
	# Not an address: back to the forwarding headers.
	assert_eq "$(recorded_ip REMOTE_ADDR=127.0.0.1 HTTP_CF_CONNECTING_IP=junk HTTP_X_FORWARDED_FOR=1.1.1.1)" 1.1.1.1
}

@test "client address: anonymised before anything is written" {
	write_config '[http]' 'anonymize_ip = true'
	assert_eq "$(recorded_ip REMOTE_ADDR=198.51.100.9)" 198.51.100.0
	assert_eq "$(recorded_ip REMOTE_ADDR=2001:db8:1234:5678:9abc:def0:1234:5678)" 2001:db8:1234::
	[ -z "$(spool_records | grep '198\.51\.100\.9')" ]
}

@test "DNT and Sec-GPC: record, anonymize or drop as configured" {
	assert_eq "$(recorded_ip REMOTE_ADDR=198.51.100.9 HTTP_DNT=1)" 198.51.100.9
	write_config '[http]' 'do_not_track = anonymize'
	assert_eq "$(recorded_ip REMOTE_ADDR=198.51.100.9 HTTP_DNT=1)" 198.51.100.0
	assert_eq "$(recorded_ip REMOTE_ADDR=198.51.100.9 HTTP_SEC_GPC=1)" 198.51.100.0
	assert_eq "$(recorded_ip REMOTE_ADDR=198.51.100.9)" 198.51.100.9
	write_config '[http]' 'do_not_track = drop' '[log]' 'level = debug'
	rm -rf "$SPOOL"
	cgi GET /pixel a=1 HTTP_SEC_GPC=1
	assert_eq "$cgi_status" 200
	[ -z "$(spool_records)" ]
	[[ "$cgi_log" == *"event not recorded: DNT/Sec-GPC and http.do_not_track = drop"* ]]
}
