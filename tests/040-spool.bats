#!/usr/bin/env bats
# The spool: JSON-lines files, many writers, rotation, bad events.

load helpers/common

setup()
{
	sl_common_setup
	write_config
}

# Three events with ids PREFIX-1..3.
batch()
{
	local i out=""
	for i in 1 2 3; do
		out="$out{\"event_type\":\"t\",\"event_id\":\"$1-$i\",\"timestamp\":1700000000000,\"app_id\":\"a\",\"attributes\":{\"pad\":\"$(printf 'x%.0s' {1..200})\"}},"
	done
	printf '[%s]' "${out%,}"
}

# N sluice.cgi writers at once, each posting ROUNDS batches of three
# events; fails when any request is not answered 200.
writers()
{
	local n="$1" rounds="$2" w r pid
	local -a pids=()

	for w in $(seq "$n"); do
		(
			# Each writer its own scratch files.
			BATS_TEST_TMPDIR="$BATS_TEST_TMPDIR/w$w"
			mkdir -p "$BATS_TEST_TMPDIR"
			CGI_BODY="$BATS_TEST_TMPDIR/out"
			for r in $(seq "$rounds"); do
				body "$(batch "w$w-r$r")"
				cgi POST /collect appId=test_release
				[ "$cgi_status" = 200 ] || exit 1
			done
		) 3>&- &
		pids+=($!)
	done
	for pid in "${pids[@]}"; do
		wait "$pid"
	done
}

@test "the spool directory is made 0700 and its files 0600" {
	cgi GET /pixel a=1
	assert_eq "$cgi_status" 200
	assert_eq "$(stat -c %a "$SPOOL")" 700
	assert_eq "$(stat -c %a "$SPOOL/current.jsonl")" 600
}

@test "each line is one record: topic, key, headers, value" {
	body '[{"event_type":"t","event_id":"x","timestamp":1,"app_id":"a","device_id":"d"}]'
	cgi POST /collect appId=test_release
	assert_eq "$(spool_records | wc -l)" 1
	assert_eq "$(spool_records | jq -c 'keys')" '["headers","key","topic","value"]'
	assert_eq "$(spool_records | jq -r '.topic + " " + .key + " " + (.value | type)')" \
		"events d string"
}

@test "bad events land on the bad-events topic in the same spool, with the reason" {
	body '{"a":{"nested":true}}'
	cgi POST /e
	body '[{"event_type":"t"}]'
	cgi POST /collect appId=test_release
	cgi GET /pixel ok=1
	assert_eq "$(spool_records | jq -r .topic | tr '\n' ' ')" "events-bad events-bad events "
	assert_eq "$(spool_values events-bad | jq -r .reason | tr '\n' '|')" \
		"a value is an object or array, not a string, number, boolean or null|event 0: missing event_id|"
	assert_eq "$(spool_values events-bad | jq -r '.body' | tail -1)" '[{"event_type":"t"}]'
	assert_eq "$(spool_records | jq -r '.headers.reason // empty' | head -1)" \
		"a value is an object or array, not a string, number, boolean or null"
}

@test "concurrent CGI writers never interleave or tear lines" {
	writers 8 25
	# Every line parses, and every event is there exactly once.
	assert_eq "$(spool_records | jq -c . | wc -l)" 600
	assert_eq "$(spool_values events | jq -r .event_id | sort -u | wc -l)" 600
	assert_eq "$(spool_records | wc -l)" 600
}

@test "concurrent writers across rotations lose nothing" {
	write_config '[spool]' 'rotate_size = 8k'
	writers 4 20
	# Several closed files, each 0600, holding whole lines.
	[ "$(ls "$SPOOL"/spool-*.jsonl | wc -l)" -gt 5 ]
	for f in "$SPOOL"/spool-*.jsonl; do
		assert_eq "$(stat -c %a "$f")" 600
		assert_eq "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" '\n'
	done
	assert_eq "$(spool_values events | jq -r .event_id | sort -u | wc -l)" 240
	assert_eq "$(spool_records | wc -l)" 240
}

@test "a file is closed once it passes rotate_size" {
	write_config '[spool]' 'rotate_size = 1k'
	cgi GET /pixel a=1
	[ ! -e "$SPOOL/current.jsonl" ] || [ "$(stat -c %s "$SPOOL/current.jsonl")" -lt 1024 ]
	body "$(batch r1)"
	cgi POST /collect appId=test_release
	[ "$(ls "$SPOOL"/spool-*.jsonl | wc -l)" -eq 1 ]
	[ ! -e "$SPOOL/current.jsonl" ]
	cgi GET /pixel a=2
	[ -s "$SPOOL/current.jsonl" ]
	assert_eq "$(spool_records | wc -l)" 5
}

@test "a torn last line left by a dead writer is closed off, not glued to" {
	mkdir -m 700 -p "$SPOOL"
	printf '{"topic":"events","key":null,"hea' >"$SPOOL/current.jsonl"
	cgi GET /pixel a=1
	assert_eq "$(wc -l <"$SPOOL/current.jsonl")" 2
	assert_eq "$(head -1 "$SPOOL/current.jsonl")" '{"topic":"events","key":null,"hea'
	tail -1 "$SPOOL/current.jsonl" | jq -e '.value | fromjson | .data.a == "1"'
}

@test "GET /health: the backlog, and 503 while the spool is over its watermark" {
	write_config '[spool]' 'max_size = 1k'
	cgi GET /health '' REMOTE_ADDR=127.0.0.1
	assert_eq "$cgi_status" 200
	assert_eq "$(header Content-Type)" application/json
	assert_eq "$(body_text | jq -c '[.status, .kafka, .spool.files, .spool.bytes]')" '["ok","none",0,0]'
	assert_eq "$(body_text | jq -r .version)" "$("$(sl_bin sluice)" --version | head -n 1 | cut -d' ' -f2)"
	cgi GET /pixel "pad=$(printf 'x%.0s' {1..1100})"
	cgi GET /health '' REMOTE_ADDR=127.0.0.1
	assert_eq "$cgi_status" 503
	assert_eq "$(body_text | jq -r .status)" full
	assert_eq "$(body_text | jq -r .spool.files)" 1
	[ "$(body_text | jq -r .spool.bytes)" -gt 1024 ]
}

@test "an unwritable spool: beacon still answers 200 and logs the loss" {
	local before
	cgi GET /pixel a=1
	before=$(stat -c %s "$SPOOL/current.jsonl")
	CGI_FSIZE=$before cgi GET /pixel a=2
	assert_eq "$cgi_status" 200
	assert_eq "$(header Content-Type)" image/gif
	[[ "$cgi_log" == *"error req="*"route=beacon.pixel cannot store 1 event(s)"* ]]
	assert_eq "$(stat -c %s "$SPOOL/current.jsonl")" "$before"
}

@test "a spool directory that cannot be made stops sluice.cgi with 503" {
	: >"$BATS_TEST_TMPDIR/notadir"
	write_config '[spool]' "dir = $BATS_TEST_TMPDIR/notadir/spool"
	SLUICE_CONFIG="$CONF" run "$(sl_bin sluice.cgi)"
	[ "$status" -eq 1 ]
	[[ "$output" == *"Status: 503"* ]]
	[[ "$output" == *"cannot use spool directory $BATS_TEST_TMPDIR/notadir/spool: Not a directory"* ]]
}

@test "spool.fsync = always syncs every append, never does not" {
	command -v strace >/dev/null || skip "strace is not installed"
	local v count
	# (LeakSanitizer cannot stop the world under strace: leaks are
	# checked by every other test.)
	for v in always never; do
		write_config '[spool]' "fsync = $v"
		env -i SLUICE_CONFIG="$CONF" REQUEST_METHOD=GET PATH_INFO=/pixel \
			QUERY_STRING=a=1 ASAN_OPTIONS=detect_leaks=0 \
			strace -f -e trace=fdatasync -o "$BATS_TEST_TMPDIR/trace.$v" \
			"$(sl_bin sluice.cgi)" >/dev/null 2>&1
	done
	assert_eq "$(grep -c 'fdatasync(' "$BATS_TEST_TMPDIR/trace.always")" 1
	assert_eq "$(grep -c 'fdatasync(' "$BATS_TEST_TMPDIR/trace.never")" 0
	assert_eq "$(spool_records | wc -l)" 2
}
