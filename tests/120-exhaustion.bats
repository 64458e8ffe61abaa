#!/usr/bin/env bats
# Resource exhaustion: a full or unwritable spool, a full Kafka queue,
# and file descriptors over 100,000 requests. (040-spool covers a spool
# limited by RLIMIT_FSIZE, 060-kafka the spool's high watermark.)

load helpers/common
load helpers/lighttpd
load helpers/kafka

setup()
{
	sl_common_setup
	MNT=""
}

teardown()
{
	lighttpd_stop
	kafka_stop
	[ -z "$MNT" ] || umount "$MNT" 2>/dev/null || true
}

# A tmpfs of $1 KiB at $MNT, or skip where mounting is not allowed.
small_fs()
{
	MNT="$BATS_TEST_TMPDIR/mnt"
	mkdir -p "$MNT"
	mount -t tmpfs -o "size=${1}k,mode=0755" tmpfs "$MNT" 2>/dev/null || {
		MNT=""
		skip "cannot mount a tmpfs here (040-spool covers RLIMIT_FSIZE)"
	}
}

metric()
{
	body_text | sed -n "s/^$1 //p"
}

@test "spool on a full file system: clickstream 503, beacon 200 counted as dropped, nothing half-written, recovery" {
	local i

	small_fs 512
	SPOOL="$MNT/spool"
	write_config '[spool]' 'min_free = 0' '[http]' 'status_from = 0.0.0.0/0'
	body '[{"event_type":"t","event_id":"before","timestamp":1,"app_id":"a"}]'
	cgi POST /collect appId=test_release
	assert_eq "$cgi_status" 200
	# Fill the rest of the file system.
	dd if=/dev/zero of="$MNT/filler" bs=4k 2>/dev/null || true
	[ "$(df --output=avail -k "$MNT" | tail -1 | tr -d ' ')" -eq 0 ]

	body '[{"event_type":"t","event_id":"during","timestamp":1,"app_id":"a","attributes":{"pad":"'"$(head -c 3000 /dev/zero | tr '\0' x)"'"}}]'
	cgi POST /collect appId=test_release
	assert_eq "$cgi_status" 503
	assert_eq "$(header Retry-After)" 30
	[[ "$cgi_log" == *"cannot store 1 event(s)"*"No space left on device"* ]]
	# (Big enough not to fit in the last page the file already has.)
	body '{"page":"during","pad":"'"$(head -c 5000 /dev/zero | tr '\0' x)"'"}'
	cgi POST /e
	assert_eq "$cgi_status" 200
	[[ "$cgi_log" == *"1 event(s) answered 200 but lost: the spool cannot take them"* ]]
	BODY_FILE=""
	cgi GET /pixel "page=during&pad=$(head -c 5000 /dev/zero | tr '\0' x)"
	assert_eq "$cgi_status" 200
	[[ "$cgi_log" == *"1 event(s) answered 200 but lost"* ]]
	assert_spool_whole
	[ -z "$(spool_records | grep during)" ]
	cgi GET /metrics
	assert_eq "$(metric 'sluice_events_total{outcome="dropped"}')" 2
	[ "$(metric sluice_spool_errors_total)" -ge 3 ]

	# Space comes back: so does the spool, with no torn line left over.
	rm "$MNT/filler"
	body '[{"event_type":"t","event_id":"after","timestamp":1,"app_id":"a"}]'
	cgi POST /collect appId=test_release
	assert_eq "$cgi_status" 200
	body '{"page":"after"}'
	cgi POST /e
	assert_eq "$cgi_status" 200
	assert_spool_whole
	assert_eq "$(spool_values events | jq -r '.data.page // .event_id' | tr '\n' ' ')" \
		"before after after "
}

@test "spool directory the process may not write: the CGI answers 503 and says why" {
	local dir

	command -v setpriv >/dev/null || skip "setpriv is not installed"
	# The test's own directory is root's alone: use one nobody can enter.
	dir=$(mktemp -d /tmp/sluice-unwritable.XXXXXX)
	chmod 0755 "$dir"
	SPOOL="$dir/spool" CONF="$dir/sluice.conf"
	write_config
	chmod 0644 "$CONF"
	mkdir -p "$SPOOL"
	chmod 0755 "$SPOOL"
	body '{"page":"x"}'
	run env -i SLUICE_CONFIG="$CONF" REQUEST_METHOD=POST PATH_INFO=/e \
		CONTENT_LENGTH=12 CONTENT_TYPE=application/json \
		setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$(sl_bin sluice.cgi)" <"$BODY_FILE"
	[ "$status" -eq 1 ]
	[[ "$output" == *"Status: 503"* ]]
	[[ "$output" == *"Retry-After: 30"* ]]
	[[ "$output" == *"cannot use spool directory $SPOOL: Permission denied"* ]]
	[ -z "$(ls "$SPOOL")" ]
	rm -rf "$dir"
}

@test "Kafka queue full: every event still answered 200 and spooled, the relay ships them all" {
	local i codes

	kafka_start "$BATS_TEST_TMPDIR/kafka"
	SPOOL="$BATS_TEST_TMPDIR/lighttpd/spool"
	mkdir -p "$BATS_TEST_TMPDIR/lighttpd"
	CONF="$BATS_TEST_TMPDIR/lighttpd/sluice.conf"
	write_config '[kafka]' "brokers = $KAFKA_BOOTSTRAP" 'queue_max_messages = 5' \
		'message_timeout_ms = 60000'
	lighttpd_start "$BATS_TEST_TMPDIR/lighttpd" 1
	kafka_ctl down
	codes=$(curl -s -o /dev/null -w '%{http_code}\n' \
		"$LIGHTTPD_URL/pixel?qfull=[1-60]" | sort | uniq -c | tr -s ' ')
	assert_eq "$codes" " 60 200"
	# At most 5 wait in the queue; the rest are in the spool already.
	[ "$(spool_records | grep -c qfull)" -ge 55 ]
	run grep "Kafka did not take 1 record(s) (its queue is full, kafka.queue_max_messages\|Kafka did not take 1 record(s) (brokers are down)" \
		"$BATS_TEST_TMPDIR/lighttpd/sluice.log"
	[ "$status" -eq 0 ]
	echo "# ${lines[0]}" >&3
	kafka_ctl up
	lighttpd_stop
	run "$(sl_bin sluice)" relay --once "$CONF"
	[ "$status" -eq 0 ]
	assert_eq "$(kafka_read events | jq -r .data.qfull | sort -un | wc -l)" 60
}

@test "file descriptors: 100,000 requests through one FastCGI process leak no descriptor" {
	local pid before after n=100000 bad

	command -v ab >/dev/null || skip "ab is not installed (Debian: apache2-utils)"
	kafka_start "$BATS_TEST_TMPDIR/kafka"
	SPOOL="$BATS_TEST_TMPDIR/lighttpd/spool"
	mkdir -p "$BATS_TEST_TMPDIR/lighttpd"
	CONF="$BATS_TEST_TMPDIR/lighttpd/sluice.conf"
	write_config '[kafka]' "brokers = $KAFKA_BOOTSTRAP"
	lighttpd_start "$BATS_TEST_TMPDIR/lighttpd" 1
	pid=$(fcgi_pids)
	[ "$(echo "$pid" | wc -w)" -eq 1 ]
	bad="$BATS_TEST_TMPDIR/bad.json"
	printf '[{"event_type":"t"' >"$bad"
	# Warm up with every kind of request: the producer's connections to
	# the leaders of both topics are open after this.
	ab -q -n 1000 -c 4 "$LIGHTTPD_URL/pixel?warm=1" >/dev/null
	ab -q -n 100 -c 4 -p "$bad" -T application/json \
		"$LIGHTTPD_URL/collect?appId=test_release" >/dev/null
	sleep 2
	before=$(ls -l /proc/"$pid"/fd | sed 1d | awk '{print $NF}' | sort)
	run ab -n $((n - 2000)) -c 8 "$LIGHTTPD_URL/pixel?fd=1"
	[[ "$output" == *"Complete requests:      $((n - 2000))"* ]]
	[[ "$output" == *"Failed requests:        0"* ]]
	ab -q -n 1000 -c 4 -p "$bad" -T application/json \
		"$LIGHTTPD_URL/collect?appId=test_release" >/dev/null
	ab -q -n 1000 -c 4 "$LIGHTTPD_URL/nowhere" >/dev/null
	sleep 1
	after=$(ls -l /proc/"$pid"/fd | sed 1d | awk '{print $NF}' | sort)
	# Still the same process. Files and pipes are exactly the same set.
	# Sockets are the FastCGI listener plus librdkafka's broker
	# connections, which it opens and closes on its own schedule (to
	# bootstrap and to learned brokers, so up to 2 per mock broker):
	# a per-request leak would show as tens of thousands.
	assert_eq "$(fcgi_pids)" "$pid"
	assert_eq "$(echo "$after" | grep -v '^socket:' || true)" \
		"$(echo "$before" | grep -v '^socket:' || true)"
	local sockets
	sockets=$(echo "$after" | grep -c '^socket:' || true)
	echo "# $(echo "$before" | wc -l) descriptors before," \
		"$(echo "$after" | wc -l) after ($sockets sockets)" >&3
	[ "$sockets" -ge 1 ]
	[ "$sockets" -le $((1 + 2 * 3)) ]
}
