#!/usr/bin/env bats
# The JavaScript snippet in a real browser: headless Chromium loads the
# example page from one lighttpd and its event reaches Sluice behind
# another, by sendBeacon and by the image fallback.

load helpers/common
load helpers/lighttpd

setup_file()
{
	command -v chromium >/dev/null ||
		skip "Chromium is not installed (Debian: chromium)"
	export STATE="$BATS_FILE_TMPDIR/sluice" PAGES="$BATS_FILE_TMPDIR/pages"
	export SPOOL="$STATE/spool"
	mkdir -p "$STATE" "$PAGES"
	printf '[spool]\ndir = %s\n' "$SPOOL" >"$STATE/sluice.conf"
	lighttpd_start "$STATE" 1
	export LIGHTTPD_PID LIGHTTPD_URL
	# The page is served from another origin, as on a real site.
	on_free_port page_launch page_kill /example.html "$PAGES/error.log" \
		"$PAGES/stdout.log"
	export PAGE_PID PAGE_URL
}

# A plain lighttpd serving src/client on port $1.
page_launch()
{
	cat >"$PAGES/lighttpd.conf" <<CONF
server.bind = "127.0.0.1"
server.port = $1
server.document-root = "$SLUICE_SRCDIR/src/client"
server.errorlog = "$PAGES/error.log"
mimetype.assign = (".html" => "text/html", ".js" => "text/javascript")
CONF
	lighttpd -D -f "$PAGES/lighttpd.conf" >"$PAGES/stdout.log" 2>&1 3>&- &
	PAGE_PID=$!
	PAGE_URL="http://127.0.0.1:$1"
}

page_kill()
{
	kill "$PAGE_PID" 2>/dev/null || true
	wait "$PAGE_PID" 2>/dev/null || true
	PAGE_PID=
}

teardown_file()
{
	lighttpd_stop
	[ -z "${PAGE_PID:-}" ] || page_kill
}

browse()
{
	chromium --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--user-data-dir="$BATS_TEST_TMPDIR/profile" \
		--virtual-time-budget=5000 --dump-dom "$1" 2>/dev/null
}

@test "the example page sends its view with sendBeacon" {
	run browse "$PAGE_URL/example.html?collector=$LIGHTTPD_URL"
	[[ "$output" == *"sent by beacon"* ]]
	wait_for '[ -n "$(spool_values events | jq -r "select(.data.mode == \"beacon\") | .data.page")" ]' 10
	assert_eq "$(spool_values events | jq -r 'select(.data.mode == "beacon") | [.data.page, .data.action, .protocol] | join(" ")')" \
		"/example.html view beacon"
	[[ "$(spool_values events | jq -r 'select(.data.mode == "beacon") | .user_agent')" == *Chrome* ]]
}

@test "the example page falls back to the image" {
	run browse "$PAGE_URL/example.html?collector=$LIGHTTPD_URL&mode=pixel"
	[[ "$output" == *"sent by pixel"* ]]
	wait_for '[ -n "$(spool_values events | jq -r "select(.data.mode == \"pixel\") | .data.page")" ]' 10
	assert_eq "$(spool_values events | jq -r 'select(.data.mode == "pixel") | .data.screen' | grep -c x)" 1
}
