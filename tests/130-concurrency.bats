#!/usr/bin/env bats
# Everything at once: 4 FastCGI processes behind lighttpd, CGI processes
# on the same spool, a following relay, and brokers that go down and up
# every 3 s under a stream of mixed good and bad requests. Afterwards the
# event ids in Kafka are exactly the ones answered 200, and every spool
# line left is a record.
#
# SLUICE_STRESS_REQUESTS sets the size (default 100,000; 20,000 under the
# sanitizers, which are several times slower). 2% of them go through CGI.

load helpers/common
load helpers/lighttpd
load helpers/kafka

setup()
{
	sl_common_setup
	local default=100000
	[ "${SLUICE_SANITIZERS:-0}" = 1 ] && default=20000
	TOTAL=${SLUICE_STRESS_REQUESTS:-$default}
	RELAY_PID="" FLAP_PID=""
}

teardown()
{
	[ -z "$FLAP_PID" ] || kill "$FLAP_PID" 2>/dev/null || true
	[ -z "$RELAY_PID" ] || kill "$RELAY_PID" 2>/dev/null || true
	lighttpd_stop
	kafka_stop
}

# A curl config for worker $1 sending $2 requests: 1 in 10 a pixel hit,
# 1 in 10 a clickstream batch that is refused (400), the rest clickstream
# events; each writes "ID CODE" to stdout.
curl_config()
{
	awk -v w="$1" -v n="$2" -v url="$LIGHTTPD_URL" 'BEGIN {
		for (i = 1; i <= n; i++) {
			id = "w" w "-" i
			if (i % 10 == 0) {
				printf "url = \"%s/pixel?cid=%s\"\n", url, id
			} else {
				printf "url = \"%s/collect?appId=test_release\"\n", url
				printf "header = \"Content-Type: application/json\"\n"
				if (i % 10 == 5)
					printf "data = \"[{\\\"event_type\\\":\\\"t\\\",\\\"event_id\\\":\\\"%s\\\"}]\"\n", id
				else
					printf "data = \"[{\\\"event_type\\\":\\\"t\\\",\\\"event_id\\\":\\\"%s\\\",\\\"timestamp\\\":1,\\\"app_id\\\":\\\"a\\\"}]\"\n", id
			}
			printf "output = \"/dev/null\"\nwrite-out = \"%s %%{http_code}\\n\"\nmax-time = 30\n", id
			if (i < n)
				print "next"
		}
	}'
}

# CGI requests $1..$2 on the same spool, writing "ID CODE" lines (lean:
# the cgi helper's checks cost more than the request).
cgi_stream()
{
	local i id b="$BATS_TEST_TMPDIR/cgi-body.json" out="$BATS_TEST_TMPDIR/cgi.out"

	for i in $(seq "$1" "$2"); do
		id="cgi-$i"
		printf '[{"event_type":"t","event_id":"%s","timestamp":1,"app_id":"a"}]' "$id" >"$b"
		env -i PATH="$PATH" SLUICE_CONFIG="$CONF" ASAN_OPTIONS="$ASAN_OPTIONS" \
			UBSAN_OPTIONS="$UBSAN_OPTIONS" REQUEST_METHOD=POST \
			PATH_INFO=/collect QUERY_STRING=appId=test_release \
			CONTENT_TYPE=application/json CONTENT_LENGTH=$(wc -c <"$b") \
			REMOTE_ADDR=127.0.0.1 "$(sl_bin sluice.cgi)" <"$b" >"$out" \
			2>>"$BATS_TEST_TMPDIR/cgi.err"
		read -r _ code _ <"$out"
		echo "$id $code"
	done
	no_sanitizer_report "$BATS_TEST_TMPDIR/cgi.err"
}

@test "4 FastCGI + CGI + relay, brokers flapping: the ids in Kafka are the ids answered 200" {
	local dir="$BATS_TEST_TMPDIR/lighttpd" workers=4 per cgi_n w pids=""
	local answered inkafka missing extra

	kafka_start "$BATS_TEST_TMPDIR/kafka"
	mkdir -p "$dir"
	SPOOL="$dir/spool" CONF="$dir/sluice.conf"
	write_config '[kafka]' "brokers = $KAFKA_BOOTSTRAP" \
		'message_timeout_ms = 2000' '[delivery]' 'shutdown_flush_ms = 5000'
	lighttpd_start "$dir" 4
	"$(sl_bin sluice)" relay "$CONF" >"$dir/relay.out" 2>"$dir/relay.err" 3>&- &
	RELAY_PID=$!
	( while :; do sleep 3; kafka_ctl down; sleep 3; kafka_ctl up; done ) \
		>/dev/null 2>&1 3>&- &
	FLAP_PID=$!

	cgi_n=$((TOTAL / 50))
	per=$(((TOTAL - cgi_n) / workers))
	for w in $(seq $workers); do
		curl_config "$w" "$per" >"$dir/curl-$w.cfg"
	done
	for w in $(seq $workers); do
		curl -s -K "$dir/curl-$w.cfg" >"$dir/answers-$w" 2>&1 3>&- &
		pids="$pids $!"
	done
	cgi_stream 1 "$cgi_n" >"$dir/answers-cgi" 2>&1 3>&-
	wait $pids

	kill "$FLAP_PID"
	wait "$FLAP_PID" 2>/dev/null || true
	FLAP_PID=""
	kafka_ctl up
	# Stop the FastCGI processes (they flush or spool what is in flight),
	# then let the relay ship the spool, and one more pass to be sure.
	lighttpd_stop
	wait_for '[ -z "$(spool_records)" ]' 30 || true
	kill "$RELAY_PID"
	wait "$RELAY_PID" 2>/dev/null || true
	RELAY_PID=""
	run "$(sl_bin sluice)" relay --once "$CONF"
	[ "$status" -eq 0 ] || { echo "$output"; false; }
	no_sanitizer_report "$dir/relay.err"
	no_sanitizer_report "$dir/sluice.log"

	cat "$dir"/answers-* >"$dir/answers"
	assert_eq "$(wc -l <"$dir/answers")" "$((per * workers + cgi_n))"
	awk '$2 == 200 {print $1}' "$dir/answers" | sort -u >"$dir/answered"
	# Every refused batch was a 400, every other request a 200.
	assert_eq "$(awk '$2 != 200 && $2 != 400' "$dir/answers" | head -5)" ""
	assert_eq "$(awk '$2 == 400' "$dir/answers" | wc -l)" "$((per / 10 * workers))"
	kafka_read events | jq -r 'if .protocol == "beacon" then .data.cid
		else .event_id end' >"$dir/kafka-all"
	sort -u "$dir/kafka-all" >"$dir/inkafka"
	missing=$(comm -23 "$dir/answered" "$dir/inkafka" | wc -l)
	extra=$(comm -13 "$dir/answered" "$dir/inkafka" | wc -l)
	echo "# $(wc -l <"$dir/answered") answered 200, $(wc -l <"$dir/kafka-all") records in Kafka ($(($(wc -l <"$dir/kafka-all") - $(wc -l <"$dir/inkafka"))) duplicates), $missing missing, $extra not answered 200" >&3
	echo "# $(grep -c '^ok' "$KAFKA_DIR/mock.out") broker state changes; relay: $(grep -c 'delivered' "$dir/relay.err") files shipped" >&3
	assert_eq "$missing" 0
	assert_eq "$extra" 0
	# Nothing in the spool that is not a record, no bad-* file.
	[ -z "$(ls "$SPOOL" | grep '^bad-')" ]
	assert_spool_whole
}
