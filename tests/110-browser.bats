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
	mkdir -p "$STATE" "$PAGES/root"
	# The pages are served from another origin, as on a real site: the
	# snippet's example, and a page that sends twice with credentials.
	cp "$SLUICE_SRCDIR/src/client/example.html" \
		"$SLUICE_SRCDIR/src/client/sluice.js" "$PAGES/root/"
	cat >"$PAGES/root/twice.html" <<'HTML'
<!doctype html>
<body>sending
<script>
const collector = new URLSearchParams(location.search).get("collector");
const send = (n) => fetch(collector + "/e", {
	method: "POST", credentials: "include", mode: "cors",
	headers: {"Content-Type": "text/plain"},
	body: JSON.stringify({page: "/twice", n: n}),
});
send(1).then(() => send(2)).then(
	() => { document.body.textContent = "sent twice"; },
	(e) => { document.body.textContent = "failed: " + e; });
</script>
HTML
	pages_start "$PAGES" "$PAGES/root" /example.html
	export PAGE_PID PAGE_URL
	printf '[spool]\ndir = %s\n[http]\ncors_origins = %s\n[cookie]\nname = sluice_id\n' \
		"$SPOOL" "$PAGE_URL" >"$STATE/sluice.conf"
	lighttpd_start "$STATE" 1
	export LIGHTTPD_PID LIGHTTPD_URL
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

@test "the first-party cookie round-trips from a page on another origin: the second request carries the first's id" {
	run browse "$PAGE_URL/twice.html?collector=$LIGHTTPD_URL"
	[[ "$output" == *"sent twice"* ]]
	wait_for '[ "$(spool_values events | jq -r "select(.data.page == \"/twice\") | .data.n" | wc -l)" -eq 2 ]' 10
	local ids
	ids=$(spool_values events | jq -r 'select(.data.page == "/twice") | .ids.network')
	[[ "$(echo "$ids" | head -n 1)" =~ ^[0-9a-f-]{36}$ ]]
	# Set by the first answer, sent back with the second request.
	assert_eq "$(echo "$ids" | sort -u | wc -l)" 1
}
