#!/usr/bin/env bats
# Real tracker SDKs, unmodified, from npm (tests/js/package-lock.json,
# installed by tests/run), pointed at lighttpd + sluice.fcgi.

load helpers/common
load helpers/lighttpd
load helpers/browser

setup_file()
{
	local js="$SLUICE_SRCDIR/tests/js"

	export STATE="$BATS_FILE_TMPDIR/lighttpd" SITE="$BATS_FILE_TMPDIR/site"
	export SPOOL="$STATE/spool"
	mkdir -p "$STATE" "$SITE"
	# The browser's page: analytics-next bundled as it would be on a
	# site, served from another origin than Sluice's.
	if [ -d "$js/node_modules/esbuild" ] && command -v chromium >/dev/null; then
		"$js/node_modules/.bin/esbuild" "$js/segment-page.js" --bundle \
			--format=iife --log-level=warning --outfile="$SITE/segment-page.js"
		printf '<!doctype html><html><body>loading<script src="segment-page.js"></script></body></html>\n' \
			>"$SITE/segment.html"
		"$js/node_modules/.bin/esbuild" "$js/snowplow-page.js" --bundle \
			--format=iife --log-level=warning --outfile="$SITE/snowplow-page.js"
		printf '<!doctype html><html><body>loading<script src="snowplow-page.js"></script></body></html>\n' \
			>"$SITE/snowplow.html"
		pages_start "$BATS_FILE_TMPDIR/pages" "$SITE" /segment.html
	fi
	export PAGE_PID PAGE_URL
	cat >"$STATE/sluice.conf" <<CONF
[spool]
dir = $SPOOL
[http]
cors_origins = ${PAGE_URL:-http://127.0.0.1}
[writekey wk_node]
[writekey wk_page]
CONF
	lighttpd_start "$STATE" 1
	export LIGHTTPD_PID LIGHTTPD_URL
}

teardown_file()
{
	lighttpd_stop
	pages_stop
}

setup()
{
	JS="$SLUICE_SRCDIR/tests/js"
	[ -d "$JS/node_modules/@segment/analytics-node" ] ||
		skip "npm packages not installed: npm ci --prefix tests/js (tests/run does)"
}

@test "@segment/analytics-node: track, identify and page in one batch, Basic auth" {
	run node "$JS/segment-node.mjs" "$LIGHTTPD_URL" wk_node n1
	echo "$output"
	[ "$status" -eq 0 ]
	wait_for '[ "$(spool_values events | jq -r "select(.protocol == \"segment\") | .event_id" | grep -c "^n1-")" -ge 3 ]' 10
	assert_eq "$(spool_values events | jq -r 'select(.protocol == "segment") | [.event_id, .event_type, .source, .ids.user // "-", .ids.device // "-"] | join(" ")' | sort | tr '\n' ';')" \
		"n1-m1 n1-track wk_node node-user -;n1-m2 identify wk_node node-user -;n1-m3 page wk_node - node-anon;"
	# The library's own context travels in each call's data.
	assert_eq "$(spool_values events | jq -r 'select(.event_id == "n1-m1") | .data.context.library.name')" "@segment/analytics-node"
	# It sent the three calls in one request (one request id), its write
	# key as Basic credentials (no writeKey in the body to fall back on).
	[ "$(spool_values events | jq -r 'select(.protocol == "segment") | .request_id' | sort -u | wc -l)" -eq 1 ]
}

@test "@segment/analytics-node: an unknown write key is refused and the library says so" {
	run node "$JS/segment-node.mjs" "$LIGHTTPD_URL" wk_nobody n2
	[ "$status" -ne 0 ]
	[[ "$output" == *"analytics-node error"* ]]
	[ -z "$(spool_values events | jq -r 'select(.event_id | startswith("n2-"))')" ]
}

@test "@segment/analytics-next in headless Chromium, from another origin: page, track, identify" {
	[ -n "${PAGE_URL:-}" ] || skip "Chromium is not installed (Debian: chromium)"
	run browse "$PAGE_URL/segment.html?host=${LIGHTTPD_URL#http://}"
	[[ "$output" == *sent* ]] || { echo "$output" | tail -5; false; }
	wait_for '[ "$(spool_values events | jq -r "select(.source == \"wk_page\") | .event_type" | wc -l)" -ge 3 ]' 10
	assert_eq "$(spool_values events | jq -r 'select(.source == "wk_page") | .event_type' | sort | tr '\n' ' ')" \
		"Clicked Buy identify page "
	# One device (analytics.js's anonymous id) for all three; the
	# identify call carries the user.
	assert_eq "$(spool_values events | jq -r 'select(.source == "wk_page") | .ids.device' | sort -u | wc -l)" 1
	assert_eq "$(spool_values events | jq -r 'select(.source == "wk_page" and .event_type == "identify") | .ids.user')" page-user
	# Its message ids are the event ids, and it ran in Chrome.
	assert_eq "$(spool_values events | jq -r 'select(.source == "wk_page") | .event_id' | sort -u | wc -l)" 3
	[[ "$(spool_values events | jq -r 'select(.source == "wk_page") | .user_agent' | head -n 1)" == *Chrome* ]]
}

# The Snowplow browser tracker in Chromium with eventMethod $1: its three
# events, each once, with the right event types, ids and event ids.
snowplow_page()
{
	local method=$1 aid="shop-$1"

	[ -n "${PAGE_URL:-}" ] || skip "Chromium is not installed (Debian: chromium)"
	run browse "$PAGE_URL/snowplow.html?method=$method&collector=$LIGHTTPD_URL"
	[[ "$output" == *sent* ]] || { echo "$output" | tail -5; false; }
	wait_for "[ \"\$(spool_values events | jq -r 'select(.source == \"$aid\") | .event_type' | wc -l)\" -ge 3 ]" 10
	assert_eq "$(spool_values events | jq -r --arg a "$aid" 'select(.source == $a) | .event_type' | sort | tr '\n' ' ')" \
		"link_click page_view struct "
	# Its event ids (eid), one device id (duid) and one session (sid).
	assert_eq "$(spool_values events | jq -r --arg a "$aid" 'select(.source == $a) | .event_id' | sort -u | wc -l)" 3
	assert_eq "$(spool_values events | jq -r --arg a "$aid" 'select(.source == $a) | [.ids.device, .ids.session] | join(" ")' | sort -u | wc -l)" 1
	assert_eq "$(spool_values events | jq -r --arg a "$aid" 'select(.source == $a and .event_type == "link_click") | .data.unstruct_event.data.data.target')" /buy
	assert_eq "$(spool_values events | jq -r --arg a "$aid" 'select(.source == $a and .event_type == "struct") | .data.se_la')" "sku-$method"
	# By the route of the method asked for.
	assert_eq "$(http "$LIGHTTPD_URL/metrics")" 200
	grep -Eq "^sluice_requests_total\{route=\"snowplow.$method\",status=\"200\"\} [1-9]" "$HTTP_BODY"
	# The webPage context arrived decoded too.
	[[ "$(spool_values events | jq -r --arg a "$aid" 'select(.source == $a and .event_type == "page_view") | .data.contexts.data[0].schema')" == iglu:com.snowplowanalytics.snowplow/web_page/* ]]
}

@test "@snowplow/browser-tracker in headless Chromium, POST (tp2): page view, struct and self-describing" {
	snowplow_page post
}

@test "@snowplow/browser-tracker in headless Chromium, GET (/i) as a credentialed fetch" {
	snowplow_page get
}
