#!/usr/bin/env bats
# [delivery] ack: when a client is answered, and what survives kill -9.

load helpers/common
load helpers/lighttpd
load helpers/kafka

setup_file()
{
	kafka_start "$BATS_FILE_TMPDIR/kafka"
	export KAFKA_DIR KAFKA_PID KAFKA_BOOTSTRAP
}

teardown_file()
{
	kafka_stop
}

teardown()
{
	lighttpd_stop
	[ -z "${RELAY_PID:-}" ] || { kill "$RELAY_PID" 2>/dev/null; wait "$RELAY_PID" 2>/dev/null || true; }
}

# Start lighttpd + 2 sluice.fcgi with delivery.ack = $1.
start()
{
	STATE="$BATS_TEST_TMPDIR/lighttpd"
	SPOOL="$STATE/spool"
	CONF="$STATE/sluice.conf"
	mkdir -p "$STATE"
	cat >"$CONF" <<CONF
[spool]
dir = $SPOOL
[delivery]
ack = $1
kafka_wait_ms = 1000
[kafka]
brokers = $KAFKA_BOOTSTRAP
message_timeout_ms = 3000
[app test_release]
CONF
	lighttpd_start "$STATE" 2
}

# Send N pixel hits tagged NAME in the background; codes go to FILE.
load_start()
{
	curl -s -o /dev/null -w '%{http_code} %{url_effective}\n' \
		"$LIGHTTPD_URL/pixel?$1=[1-$2]" >"$3" 3>&- &
	LOAD_PID=$!
}

# The NAME values answered 200 in FILE, sorted.
answered()
{
	awk '$1 == 200 {print $2}' "$2" | sed -n "s/.*[?&]$1=\([0-9]*\).*/\1/p" | sort -u
}

in_kafka()
{
	kafka_read events | grep -o "\"$1\":\"[0-9]*\"" | grep -o '[0-9]*' | sort -u
}

kill9_fcgi()
{
	local pid
	for pid in $(fcgi_pids); do
		kill -9 "$pid"
	done
}

@test "ack = spool: the record is in the spool before the answer; sluice relay follows and ships it" {
	start spool
	"$(sl_bin sluice)" relay "$CONF" 2>"$BATS_TEST_TMPDIR/relay.log" 3>&- &
	RELAY_PID=$!
	curl -s -o /dev/null "$LIGHTTPD_URL/pixel?follow=1"
	# No producer in the FastCGI processes: the relay did the shipping.
	wait_for '[ "$(in_kafka follow)" = 1 ]' 10
	kill -TERM "$RELAY_PID"
	wait "$RELAY_PID"
	RELAY_PID=
	grep -q 'relay: done: [1-9][0-9]* record(s) delivered' "$BATS_TEST_TMPDIR/relay.log"
	no_sanitizer_report "$BATS_TEST_TMPDIR/relay.log"
}

# Under ack = MODE, N pixel hits tagged TAG while every sluice.fcgi is
# killed with SIGKILL twice: every hit answered 200 must reach Kafka
# (after a relay run for what was spooled).
kill9_under_load()
{
	local mode="$1" tag="$2" n="$3"

	start "$mode"
	load_start "$tag" "$n" "$BATS_TEST_TMPDIR/codes"
	sleep 1
	# The kills land mid-load: the load is still running. (lighttpd may
	# retry a request whose process died, so none need fail.)
	kill -0 "$LOAD_PID"
	kill9_fcgi
	sleep 0.2
	kill9_fcgi
	wait "$LOAD_PID" || true
	answered "$tag" "$BATS_TEST_TMPDIR/codes" >"$BATS_TEST_TMPDIR/ok"
	[ -s "$BATS_TEST_TMPDIR/ok" ]
	lighttpd_stop
	run "$(sl_bin sluice)" relay --once "$CONF"
	[ "$status" -eq 0 ]
	in_kafka "$tag" >"$BATS_TEST_TMPDIR/got"
	echo "# ack=$mode: $(wc -l <"$BATS_TEST_TMPDIR/ok") answered 200, $(comm -23 "$BATS_TEST_TMPDIR/ok" "$BATS_TEST_TMPDIR/got" | wc -l) of them missing" >&3
	[ -z "$(comm -23 "$BATS_TEST_TMPDIR/ok" "$BATS_TEST_TMPDIR/got")" ]
}

@test "ack = spool: kill -9 of every sluice.fcgi during load loses nothing answered 200" {
	kill9_under_load spool s9 20000
}

@test "ack = kafka: kill -9 of every sluice.fcgi during load loses nothing answered 200" {
	kill9_under_load kafka k9 3000
}

@test "/metrics: every process reports the same deployment-wide totals" {
	start spool
	curl -s -o /dev/null "$LIGHTTPD_URL/pixel?m=[1-500]"
	curl -s -o /dev/null -H 'Content-Type: application/json' \
		--data 'not json' "$LIGHTTPD_URL/e?[1-100]"
	local i
	for i in $(seq 10); do
		curl -s "$LIGHTTPD_URL/metrics" | grep -v '^sluice_requests_total{route="metrics"' \
			>"$BATS_TEST_TMPDIR/m$i"
	done
	for i in $(seq 2 10); do
		cmp "$BATS_TEST_TMPDIR/m1" "$BATS_TEST_TMPDIR/m$i"
	done
	grep -qx 'sluice_requests_total{route="beacon.pixel",status="200"} 500' "$BATS_TEST_TMPDIR/m1"
	grep -qx 'sluice_requests_total{route="beacon.event",status="200"} 100' "$BATS_TEST_TMPDIR/m1"
	grep -qx 'sluice_events_total{outcome="accepted"} 500' "$BATS_TEST_TMPDIR/m1"
	grep -qx 'sluice_events_total{outcome="rejected"} 100' "$BATS_TEST_TMPDIR/m1"
	grep -qx 'sluice_events_total{outcome="spooled"} 600' "$BATS_TEST_TMPDIR/m1"
	# Both processes answered the scrapes and each counted its share.
	[ "$(grep -c 'route=metrics' "$STATE/sluice.log" || true)" -eq 0 ]
	[ "$(fcgi_pids | wc -l)" -eq 2 ]
}

@test "ack = kafka with brokers down: answered within kafka_wait_ms, already spooled" {
	start kafka
	kafka_ctl down
	local t0 t1 code
	t0=$(date +%s%N)
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$LIGHTTPD_URL/pixel?kdown=1")
	t1=$(date +%s%N)
	# The record is safe in the spool by the time the answer came.
	[ "$(spool_records | grep -c '\\"kdown\\"')" -eq 1 ]
	kafka_ctl up
	assert_eq "$code" 200
	echo "# answered after $(( (t1 - t0) / 1000000 )) ms" >&3
	[ $(( (t1 - t0) / 1000000 )) -lt 5000 ]
	grep -q 'unconfirmed after 1000 ms: spooled\|brokers are down' "$STATE/sluice.log"
}
