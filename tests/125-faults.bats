#!/usr/bin/env bats
# The paths that keep records, made to fail on purpose: with
# ./configure --enable-fault-injection, SLUICE_FAULT=site:N makes the Nth
# call at a site fail as if memory had run out (src/fault.h). A batch is
# stored whole or not at all, and no file of the spool is deleted while
# one of its records is neither in Kafka nor back in the spool.

load helpers/common
load helpers/lighttpd
load helpers/kafka

faulty_build()
{
	"$(sl_bin sluice)" --version | grep -q 'fault injection'
}

setup_file()
{
	# Each test skips in a build without the hooks.
	faulty_build || return 0
	kafka_start "$BATS_FILE_TMPDIR/kafka"
	export KAFKA_DIR KAFKA_PID KAFKA_BOOTSTRAP
}

teardown_file()
{
	kafka_stop
}

setup()
{
	faulty_build || skip_by_design "built without --enable-fault-injection"
	sl_common_setup
	STATE="$BATS_TEST_TMPDIR/lighttpd"
	SPOOL="$STATE/spool"
	CONF="$STATE/sluice.conf"
	mkdir -p "$STATE"
	cat >"$CONF" <<CONF
[spool]
dir = $SPOOL
[delivery]
ack = ${ACK:-queue}
kafka_wait_ms = 300
[kafka]
brokers = $KAFKA_BOOTSTRAP
message_timeout_ms = 2000
[app test_release]
[source source-id]
CONF
}

teardown()
{
	lighttpd_stop
	[ ! -f "${STATE:-}/sluice.log" ] || no_sanitizer_report "$STATE/sluice.log"
}

# One sluice.fcgi process, so that the fault's count is the process's;
# lighttpd passes its environment on to it.
start_faulty()
{
	SLUICE_FAULT="$1" lighttpd_start "$STATE" 1
}

# Every event id in Kafka's events topic, sorted.
event_ids()
{
	kafka_read events | jq -r .event_id | sort
}

# A clickstream batch of five events tagged $1.
five_events()
{
	local i ev=""
	for i in 1 2 3 4 5; do
		ev+="{\"event_type\":\"t\",\"event_id\":\"$1-$i\",\"timestamp\":1,\"app_id\":\"a\"},"
	done
	echo "[${ev%,}]"
}

@test "a batch whose third record cannot be added: 503, nothing of it in Kafka or the spool, the retry lands once" {
	start_faulty batch_add:3
	assert_eq "$(http "$LIGHTTPD_URL/collect?appId=test_release" \
		-H 'Content-Type: application/json' --data "$(five_events whole)")" 503
	assert_eq "$(http_header Retry-After)" 30
	grep -q 'cannot encode a record: out of memory' "$STATE/sluice.log"
	# Kafka is up and took nothing of it; neither did the spool.
	curl -s -o /dev/null "$LIGHTTPD_URL/pixel?marker=1"
	wait_for 'kafka_read events | grep -q "\"marker\":\"1\""' 10
	run event_ids
	[[ "$output" != *whole-* ]]
	[ -z "$(spool_records)" ]
	# The client's retry (the fault has passed) stores each event once.
	assert_eq "$(http "$LIGHTTPD_URL/collect?appId=test_release" \
		-H 'Content-Type: application/json' --data "$(five_events whole)")" 200
	wait_for '[ "$(event_ids | grep -c "^whole-")" -ge 5 ]' 10
	assert_eq "$(event_ids | grep "^whole-" | tr '\n' ' ')" \
		"whole-1 whole-2 whole-3 whole-4 whole-5 "
}

@test "tracardi: a batch that cannot be made whole is answered 503 and leaves nothing" {
	start_faulty batch_add:2
	assert_eq "$(http "$LIGHTTPD_URL/track" -H 'Content-Type: application/json' \
		--data '{"source":{"id":"source-id"},"session":{"id":"s"},"events":[{"type":"tr-1"},{"type":"tr-2"},{"type":"tr-3"}]}')" 503
	assert_eq "$(http_header Retry-After)" 30
	assert_eq "$(cat "$HTTP_BODY")" '{"detail":"events could not be stored, retry later"}'
	curl -s -o /dev/null "$LIGHTTPD_URL/pixel?marker=2"
	wait_for 'kafka_read events | grep -q "\"marker\":\"2\""' 10
	run kafka_read events
	[[ "$output" != *'"tr-'* ]]
	[ -z "$(spool_records)" ]
}

@test "the beacon's answer stays 200 when its record cannot be added, and the drop is counted" {
	start_faulty batch_add:1
	assert_eq "$(http "$LIGHTTPD_URL/pixel?lost=1")" 200
	grep -q '1 event(s) answered 200 but lost: they could not be encoded' "$STATE/sluice.log"
	assert_eq "$(http "$LIGHTTPD_URL/metrics")" 200
	grep -qx 'sluice_events_total{outcome="dropped"} 1' "$HTTP_BODY"
	grep -qx 'sluice_events_total{outcome="accepted"} 0' "$HTTP_BODY"
}

@test "relay: a line it cannot keep back for the spool keeps the file; the next relay ships every record" {
	# Three records in the spool, written by the CGI (spool only).
	write_config "[kafka]" "brokers = $KAFKA_BOOTSTRAP"
	for i in 1 2 3; do
		body "[{\"event_type\":\"t\",\"event_id\":\"relay-$i\",\"timestamp\":1,\"app_id\":\"a\"}]"
		cgi POST /collect appId=test_release
		assert_eq "$cgi_status" 200
	done
	assert_eq "$(spool_records | wc -l)" 3
	# The first produce fails, and so does keeping its line.
	run env SLUICE_FAULT=produce:1,relay_spill:1 "$(sl_bin sluice)" relay --once "$CONF"
	[ "$status" -eq 1 ]
	no_sanitizer_report <(echo "$output")
	[[ "$output" == *"keeping "*"1 not produced and out of memory to keep"* ]]
	# The claimed file is still there, whole.
	run sh -c "cat '$SPOOL'/relay-*-spool-*.jsonl | jq -r '.value | fromjson | .event_id' | sort"
	assert_eq "$(echo $output)" "relay-1 relay-2 relay-3"
	# A relay without the fault takes the claim back and ships it all.
	run "$(sl_bin sluice)" relay --once "$CONF"
	[ "$status" -eq 0 ]
	[[ "$output" == *"took back"* ]]
	wait_for '[ "$(event_ids | grep -c "^relay-")" -ge 4 ]' 10
	assert_eq "$(event_ids | grep "^relay-" | sort -u | tr '\n' ' ')" \
		"relay-1 relay-2 relay-3 "
	[ -z "$(ls "$SPOOL" | grep -E '^(relay|spool)-')" ]
}

@test "ack = kafka: a record unconfirmed at the deadline without memory for its line is answered 503 and spooled by its report" {
	ACK=kafka setup
	start_faulty spool_line:1
	kafka_ctl down
	status=$(http "$LIGHTTPD_URL/collect?appId=test_release" \
		-H 'Content-Type: application/json' \
		--data '[{"event_type":"t","event_id":"late-1","timestamp":1,"app_id":"a"}]')
	kafka_ctl up
	assert_eq "$status" 503
	grep -q 'unconfirmed after 300 ms and out of memory for their spool lines' "$STATE/sluice.log"
	# Its delivery report (message_timeout_ms) spools it, or Kafka has it.
	wait_for '[ -n "$(spool_records | grep late-1)" ] || kafka_read events | grep -q late-1' 15
}
