#!/usr/bin/env bats
# The benchmark's quick run, so that it cannot rot: every part runs and
# writes its table, JSON and chart. It measures nothing and gates on no
# figure; `make bench` is the measurement.

load helpers/common

@test "bench --quick: table, results.json and bench.png, Kafka holding every answered event" {
	local out="$BATS_TEST_TMPDIR/bench" json

	[ "${SLUICE_SANITIZERS:-0}" = 0 ] ||
		skip_by_design "the plain build runs the benchmark smoke"
	command -v wrk >/dev/null || skip "wrk is not installed (Debian: wrk)"
	run "$SLUICE_SRCDIR/tests/bench/bench" --quick --build "$SLUICE_BUILDDIR" --out "$out"
	echo "$output"
	[ "$status" -eq 0 ]
	json="$out/results.json"
	# Sluice and each ceiling ran and answered.
	for setup in sluice-2 bare-2 bare+produce-2 static cgi-sluice cgi-trivial; do
		jq -e --arg s "$setup" '[.medians[] | select(.setup == $s and .rps > 0)] | length > 0' "$json"
	done
	for route in pixel event collect1 collect10 raccoon10 track3 segment10 snowplow10; do
		jq -e --arg r "$route" '[.runs[] | select(.setup == "sluice-2" and .route == $r)] | length == 1' "$json"
	done
	# After each Sluice run Kafka holds at least the events answered 200
	# (more by the requests in flight when wrk stopped counting).
	jq -r '.runs[] | select(.setup | startswith("sluice")) | .kafka' "$json" |
	while IFS=/ read -r have want; do
		[ "$want" -gt 0 ]
		[ "$have" -ge "$want" ]
	done
	jq -e '.core | length == 17 and all(.instructions_per_event > 0 and .ns_per_event > 0)' "$json"
	jq -e '.rss_kb.after_1000 > 0' "$json"
	# The batch ceiling (the bare responder reading the same body) and
	# the spool path's cost per event ran too.
	jq -e '[.runs[] | select(.setup == "bare-2" and .route == "collect10" and .rps > 0)] | length == 1' "$json"
	jq -e '.cgi_spool_instructions_per_event > 0' "$json"
	grep -q '^spool path: sluice.cgi' "$out/results.txt"
	grep -q '^POST /collect, 10 events:.*round by round: [1-9][0-9]*%$' "$out/results.txt"
	# The ratios also round by round (quick: one round of each).
	grep -Eq '^GET /pixel, 2 process\(es\): .*round by round: [1-9][0-9]*% and [1-9][0-9]*%$' "$out/results.txt"
	# The edge rows: the crawler check and GET /pixel with GeoIP.
	jq -e '.edge | .bots_ns > 0 and .bots_instructions > 0 and .pixel_geoip_ns > 0 and .pixel_geoip_instructions > 0' "$json"
	jq -e '[.edge.pixel[] | select(.ns > 0 and .instructions > 0) | .variant] == ["off","bots","geoip","cookie","limits","ignore_from","all"]' "$json"
	grep -q '^crawler check (http.bots, uap-core):' "$out/results.txt"
	[ "$(head -c 8 "$out/bench.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
}
