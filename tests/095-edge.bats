#!/usr/bin/env bats
# At the edge, through lighttpd: crawlers (http.bots), internal traffic
# (http.ignore_from), GeoIP and the first-party cookie. Each is off or
# harmless by default; every event not recorded is counted in /metrics.

load helpers/common
load helpers/lighttpd

GOOGLEBOT='Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'
FIREFOX='Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'
JSON='Content-Type: application/json'

setup()
{
	sl_common_setup
	STATE="$BATS_TEST_TMPDIR/lighttpd"
	# The spool's parent: sluice.cgi makes the spool, not its parents.
	mkdir -p "$STATE"
	SPOOL="$STATE/spool"
}

teardown()
{
	lighttpd_stop
}

# Start lighttpd with the suite's apps and the lines given.
serve()
{
	lighttpd_serve "$STATE" 2 '[app test_release]' '[datasource d]' "$@"
}

collect()
{
	http "$LIGHTTPD_URL/collect?appId=test_release" -H "$JSON" "$@"
}

event()
{
	printf '[{"event_type":"t","event_id":"%s","timestamp":1667877566697,"app_id":"test_release"}]' "$1"
}

outcome()
{
	http "$LIGHTTPD_URL/metrics" >/dev/null
	sed -n "s/^sluice_events_total{outcome=\"$1\"} //p" "$HTTP_BODY"
}

@test "bots = tag (the default): a crawler's events are recorded with bot and what matched" {
	serve
	assert_eq "$(collect -A "$GOOGLEBOT" --data "$(event g1)")" 200
	assert_eq "$(collect -A "$FIREFOX" --data "$(event f1)")" 200
	assert_eq "$(spool_values events | jq -c 'select(.event_id == "g1") | [.bot, .bot_match]')" '[true,"Googlebot"]'
	assert_eq "$(spool_values events | jq -c 'select(.event_id == "f1") | [.bot, .bot_match]')" '[null,null]'
	# Reelevant's 202 comes from the same list, its body's ua included.
	assert_eq "$(http "$LIGHTTPD_URL/collect/d/rlvt" -H "$JSON" -A "$FIREFOX" \
		--data '{"key":"k","eventId":"r1","name":"n","url":"https://x.example/","v":1,"ua":"Mozilla/5.0 (compatible; bingbot/2.0)"}')" 202
	assert_eq "$(spool_values events | jq -c 'select(.event_id == "r1") | [.bot, .bot_match, .meta.bot]')" '[true,"bingbot",true]'
	assert_eq "$(http "$LIGHTTPD_URL/collect/d/rlvt" -H "$JSON" -A "$FIREFOX" \
		--data '{"key":"k","eventId":"r2","name":"n","url":"https://x.example/","v":1}')" 200
}

@test "bots: the list as Sluice runs it agrees with its rules as written on uap-core's 16,000 device test cases" {
	local dir=/usr/share/uap-core
	[ -f "$dir/tests/test_device.yaml" ] || skip "uap-core's tests are not installed"
	run "$SLUICE_BUILDDIR/tests/helpers/bots-check" "$dir/regexes.yaml" \
		"$dir/tests/test_device.yaml"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ([0-9]+)\ user\ agents:\ ([0-9]+)\ crawlers.*\ 0\ differ ]]
	[ "${BASH_REMATCH[1]}" -gt 10000 ] && [ "${BASH_REMATCH[2]}" -gt 100 ]
}

@test "bots: sluice.cgi keeps the list's Spider rules in the spool's bots.rules, read while the list is unchanged" {
	local list="$BATS_TEST_TMPDIR/regexes.yaml" spiders
	[ -f /usr/share/uap-core/regexes.yaml ] || skip "uap-core is not installed"
	cp /usr/share/uap-core/regexes.yaml "$list"
	spiders=$(grep -c "device_replacement: 'Spider'" "$list")
	write_config '[http]' "bots_file = $list"
	cgi GET /pixel 'n=1' HTTP_USER_AGENT="$GOOGLEBOT"
	assert_eq "$cgi_status" 200
	assert_eq "$(grep -c '^[i-] ' "$SPOOL/bots.rules")" "$spiders"
	# While the list is unchanged the rules come from the file: a rule
	# planted there is obeyed...
	echo '- Firefox/' >>"$SPOOL/bots.rules"
	cgi GET /pixel 'n=2' HTTP_USER_AGENT="$FIREFOX"
	# ...until the list changes, which writes the file anew.
	touch -d '+1 minute' "$list"
	cgi GET /pixel 'n=3' HTTP_USER_AGENT="$FIREFOX"
	assert_eq "$(grep -c '^[i-] ' "$SPOOL/bots.rules")" "$spiders"
	# A file that is not one is read past: the list decides, and the
	# file is written anew.
	echo 'not a rule' >>"$SPOOL/bots.rules"
	cgi GET /pixel 'n=4' HTTP_USER_AGENT="$GOOGLEBOT"
	assert_eq "$(grep -c '^[i-] ' "$SPOOL/bots.rules")" "$spiders"
	assert_eq "$(grep -c 'not a rule' "$SPOOL/bots.rules")" 0
	assert_eq "$(spool_values events | jq -c '[.data.n, .bot]' | paste -sd' ')" \
		'["1",true] ["2",true] ["3",null] ["4",true]'
}

@test "bots = drop: not recorded, answered as ever, counted as outcome bot; server SDKs are kept" {
	serve '[http]' 'bots = drop'
	assert_eq "$(collect -A "$GOOGLEBOT" --data "$(event g1)")" 200
	assert_eq "$(http "$LIGHTTPD_URL/pixel?x=1" -A 'Mozilla/5.0 (compatible; YandexBot/3.0)')" 200
	assert_eq "$(head -c 6 "$HTTP_BODY")" GIF89a
	assert_eq "$(outcome bot)" 2
	local ua n=0
	for ua in 'python-requests/2.31.0' 'Python-urllib/3.11' 'okhttp/4.12.0' \
		'Go-http-client/1.1' 'node-fetch/1.0 (+https://github.com/bitinn/node-fetch)' \
		'Java/17.0.9' 'analytics-node-next/latest' 'analytics-python/2.3.2' \
		'analytics-ruby/2.4.0' 'analytics-go (version: 3.0.0)' \
		'analytics-java/3.5.1' 'snowplow-python-tracker/1.0.1' \
		'snowplow-nodejs-tracker/3.0.0'; do
		n=$((n + 1))
		assert_eq "$(collect -A "$ua" --data "$(event "sdk-$n")")" 200
	done
	assert_eq "$(spool_values events | jq -r .event_id | grep -c '^sdk-')" "$n"
	[ -z "$(spool_values events | jq -r 'select(.bot) | .event_id')" ]
	assert_eq "$(outcome bot)" 2
}

@test "bots: a bots_file that is missing, not the list or with a rule that does not compile stops check-config, naming it" {
	write_config '[http]' 'bots_file = /nonexistent/regexes.yaml'
	run "$(sl_bin sluice)" check-config "$CONF"
	[ "$status" -eq 1 ]
	[[ "$output" == *"/nonexistent/regexes.yaml: cannot open the crawler list"* ]]
	echo 'user_agent_parsers: []' >"$BATS_TEST_TMPDIR/empty.yaml"
	write_config '[http]' "bots_file = $BATS_TEST_TMPDIR/empty.yaml"
	run "$(sl_bin sluice)" check-config "$CONF"
	[ "$status" -eq 1 ]
	[[ "$output" == *"empty.yaml: no Spider rules"* ]]
	printf '%s\n' 'user_agent_parsers: []' 'device_parsers:' \
		"  - regex: 'Crawly'" "    device_replacement: 'Spider'" '' \
		"  - regex: '(unclosed'" "    device_replacement: 'Spider'" \
		>"$BATS_TEST_TMPDIR/bad.yaml"
	write_config '[http]' "bots_file = $BATS_TEST_TMPDIR/bad.yaml"
	run "$(sl_bin sluice)" check-config "$CONF"
	[ "$status" -eq 1 ]
	[[ "$output" == *"bad.yaml:6: the rule does not compile: missing closing parenthesis"* ]]
	write_config '[http]' 'bots = sometimes'
	run "$(sl_bin sluice)" check-config "$CONF"
	[[ "$output" == *"http.bots: 'sometimes' is not tag, drop or off"* ]]
}

@test "ignore_from: internal traffic (after trusted proxies) is not recorded, answered as ever, counted" {
	serve '[http]' 'ignore_from = 10.0.0.0/8, fd00::/8'
	assert_eq "$(collect -H 'X-Forwarded-For: 10.1.2.3' --data "$(event in1)")" 200
	assert_eq "$(http "$LIGHTTPD_URL/pixel?x=1" -H 'X-Forwarded-For: fd00::7')" 200
	assert_eq "$(collect -H 'X-Forwarded-For: 192.0.2.9' --data "$(event out1)")" 200
	assert_eq "$(spool_values events | jq -r .event_id)" out1
	assert_eq "$(outcome ignored)" 2
	# From an untrusted peer, X-Forwarded-For is not believed.
	lighttpd_stop
	serve '[http]' 'ignore_from = 10.0.0.0/8' 'trusted_proxies = 192.0.2.1/32'
	assert_eq "$(collect -H 'X-Forwarded-For: 10.1.2.3' --data "$(event spoofed)")" 200
	assert_eq "$(spool_values events | jq -r .event_id | grep -c spoofed)" 1
}

@test "GeoIP: GeoLite2 City + ASN, DB-IP Lite and IPinfo files, looked up before anonymisation" {
	command -v perl >/dev/null && perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null ||
		skip "libmaxmind-db-writer-perl is not installed"
	local db="$BATS_TEST_TMPDIR/db"
	mkdir -p "$db"
	perl "$SLUICE_SRCDIR/tests/helpers/mkmmdb.pl" geolite "$db/city.mmdb"
	perl "$SLUICE_SRCDIR/tests/helpers/mkmmdb.pl" asn "$db/asn.mmdb"
	perl "$SLUICE_SRCDIR/tests/helpers/mkmmdb.pl" ipinfo "$db/ipinfo.mmdb"
	perl "$SLUICE_SRCDIR/tests/helpers/mkmmdb.pl" dbip "$db/dbip.mmdb"
	serve '[http]' 'anonymize_ip = true' '[geoip]' "database = $db/city.mmdb, $db/asn.mmdb"
	assert_eq "$(collect -H 'X-Forwarded-For: 89.160.20.7' --data "$(event se)")" 200
	assert_eq "$(collect -H 'X-Forwarded-For: 2001:db8:5::1' --data "$(event se6)")" 200
	assert_eq "$(collect -H 'X-Forwarded-For: 198.51.100.1' --data "$(event nowhere)")" 200
	assert_eq "$(spool_values events | jq -c 'select(.event_id == "se") | [.ip, .geo]')" \
		'["89.160.20.0",{"country":"SE","region":"AB","city":"Stockholm","lat":59.3294,"lon":18.0687,"asn":1257}]'
	assert_eq "$(spool_values events | jq -c 'select(.event_id == "se6") | [.ip, .geo.city]')" \
		'["2001:db8:5::","Stockholm"]'
	assert_eq "$(spool_values events | jq -c 'select(.event_id == "nowhere") | .geo')" null
	lighttpd_stop
	serve '[geoip]' "database = $db/ipinfo.mmdb"
	assert_eq "$(collect -H 'X-Forwarded-For: 89.160.20.7' --data "$(event ipinfo)")" 200
	assert_eq "$(spool_values events | jq -c 'select(.event_id == "ipinfo") | .geo')" \
		'{"country":"SE","region":"Stockholm","city":"Stockholm","lat":59.3294,"lon":18.0687,"asn":1257}'
	lighttpd_stop
	serve '[geoip]' "database = $db/dbip.mmdb"
	assert_eq "$(collect -H 'X-Forwarded-For: 89.160.20.7' --data "$(event dbip)")" 200
	assert_eq "$(spool_values events | jq -c 'select(.event_id == "dbip") | .geo')" \
		'{"country":"SE","region":"Stockholm","city":"Stockholm","lat":59.3294,"lon":18.0687}'
}

@test "GeoIP: mod_maxminddb's variables are used instead of a lookup" {
	write_config
	body "$(event srv)"
	cgi POST /collect appId=test_release GEOIP_COUNTRY_CODE=DE \
		GEOIP_CITY_NAME=Berlin GEOIP_CITY_LATITUDE=52.52 \
		GEOIP_CITY_LONGITUDE=nan
	assert_eq "$cgi_status" 200
	assert_eq "$(spool_values events | jq -c .geo)" '{"country":"DE","city":"Berlin","lat":52.52}'
}

@test "GeoIP: a missing or corrupt database is a check-config error naming the file, and Sluice does not start" {
	write_config '[geoip]' "database = $BATS_TEST_TMPDIR/missing.mmdb"
	run "$(sl_bin sluice)" check-config "$CONF"
	[ "$status" -eq 1 ]
	[[ "$output" == *"missing.mmdb"* ]]
	head -c 4096 /dev/urandom >"$BATS_TEST_TMPDIR/corrupt.mmdb"
	write_config '[geoip]' "database = $BATS_TEST_TMPDIR/corrupt.mmdb"
	run "$(sl_bin sluice)" check-config "$CONF"
	[ "$status" -eq 1 ]
	[[ "$output" == *"corrupt.mmdb: "* ]]
	# The CGI does not start: 503 and the reason in the log, no crash.
	run env -i SLUICE_CONFIG="$CONF" REQUEST_METHOD=GET PATH_INFO=/pixel \
		QUERY_STRING=x=1 REMOTE_ADDR=192.0.2.1 "$(sl_bin sluice.cgi)"
	[ "$status" -eq 1 ]
	[[ "$output" == *"Status: 503"* ]]
	[[ "$output" == *"cannot start: $BATS_TEST_TMPDIR/corrupt.mmdb: "* ]]
}

@test "cookie: every event route sets the id and the records carry it as ids.network; it comes back" {
	serve '[cookie]' 'name = sluice_id' 'max_age = 86400'
	assert_eq "$(collect --data "$(event c1)")" 200
	local set id
	set=$(http_header Set-Cookie)
	[[ "$set" =~ ^sluice_id=([0-9a-f-]{36})\;\ Path=/\;\ Max-Age=86400\;\ HttpOnly\;\ SameSite=Lax$ ]]
	id=${BASH_REMATCH[1]}
	assert_eq "$(spool_values events | jq -r 'select(.event_id == "c1") | .ids.network')" "$id"
	# Sent back: the same id, the cookie renewed.
	assert_eq "$(http "$LIGHTTPD_URL/pixel?x=2" -H "Cookie: other=1; sluice_id=$id")" 200
	assert_eq "$(http_header Set-Cookie | cut -d';' -f1)" "sluice_id=$id"
	assert_eq "$(spool_values events | jq -r '.ids.network' | sort -u)" "$id"
	# A value that is not an id is replaced.
	http "$LIGHTTPD_URL/pixel?x=3" -H 'Cookie: sluice_id=<script>' >/dev/null
	[[ "$(http_header Set-Cookie)" =~ ^sluice_id=[0-9a-f-]{36}\; ]]
	# Not on /health.
	http "$LIGHTTPD_URL/health" >/dev/null
	[ -z "$(http_header Set-Cookie)" ]
}

@test "cookie: none, and the address anonymised, for SP-Anonymous or DNT/GPC when do_not_track is not record" {
	serve '[cookie]' 'name = sluice_id' '[http]' 'do_not_track = anonymize'
	assert_eq "$(collect -H 'SP-Anonymous: *' -H 'X-Forwarded-For: 192.0.2.77' --data "$(event a1)")" 200
	[ -z "$(http_header Set-Cookie)" ]
	assert_eq "$(collect -H 'DNT: 1' -H 'X-Forwarded-For: 192.0.2.78' --data "$(event a2)")" 200
	[ -z "$(http_header Set-Cookie)" ]
	assert_eq "$(collect -H 'Sec-GPC: 1' --data "$(event a3)")" 200
	[ -z "$(http_header Set-Cookie)" ]
	assert_eq "$(spool_values events | jq -c '[.ip, .ids.network]' | sort -u | tr '\n' ' ')" \
		'["127.0.0.0",null] ["192.0.2.0",null] '
}

@test "cookie: over HTTPS it is SameSite=None; Secure, with the configured Domain" {
	write_config '[cookie]' 'name = sid' 'domain = example.com'
	cgi GET /pixel x=1 HTTPS=on
	assert_eq "$cgi_status" 200
	[[ "$(header Set-Cookie)" =~ ^sid=[0-9a-f-]{36}\;\ Path=/\;\ Max-Age=31536000\;\ Domain=example.com\;\ HttpOnly\;\ SameSite=None\;\ Secure$ ]]
	write_config '[cookie]' 'name = bad;name'
	run "$(sl_bin sluice)" check-config "$CONF"
	[ "$status" -eq 1 ]
	[[ "$output" == *"cookie.name: 'bad;name' is not a cookie name"* ]]
}
