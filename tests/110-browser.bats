#!/usr/bin/env bats
# The JavaScript snippet in a real browser: headless Chromium loads the
# example page from one lighttpd and its event reaches Sluice behind
# another, by sendBeacon and by the image fallback.

load helpers/common
load helpers/lighttpd
load helpers/browser

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
	pages_start "$PAGES" "$SLUICE_SRCDIR/src/client" /example.html
	export PAGE_PID PAGE_URL
}

teardown_file()
{
	lighttpd_stop
	pages_stop
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
