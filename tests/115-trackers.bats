#!/usr/bin/env bats
# Real tracker SDKs, unmodified, from npm (tests/js/package-lock.json,
# installed by tests/run), pointed at lighttpd + sluice.fcgi.

load helpers/common
load helpers/lighttpd

setup_file()
{
	export STATE="$BATS_FILE_TMPDIR/lighttpd"
	export SPOOL="$STATE/spool"
	mkdir -p "$STATE"
	cat >"$STATE/sluice.conf" <<CONF
[spool]
dir = $SPOOL
[writekey wk_node]
CONF
	lighttpd_start "$STATE" 1
	export LIGHTTPD_PID LIGHTTPD_URL
}

teardown_file()
{
	lighttpd_stop
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
