# kafka.bash - the mock Kafka cluster (tests/helpers/kafka-mock) and kcat.
# Load after helpers/common.
#
#   kafka_start DIR     start a 3-broker cluster with topics events and
#                       events-bad; sets KAFKA_BOOTSTRAP, KAFKA_PID
#   kafka_ctl CMD       "down", "up", "down N", ... and wait for the ack
#   kafka_stop          stop it
#   kafka_read TOPIC [FORMAT]   every record of TOPIC, one per line, with
#                       kcat's -f FORMAT (default: the value)

kafka_start()
{
	local dir="$1"

	command -v kcat >/dev/null || skip "kcat is not installed (Debian: kcat)"
	KAFKA_DIR="$dir"
	mkdir -p "$dir"
	rm -f "$dir/ctl" "$dir/bootstrap"
	"$SLUICE_BUILDDIR/tests/helpers/kafka-mock" -b 3 -p 4 -t events \
		-t events-bad -f "$dir/bootstrap" -c "$dir/ctl" \
		>"$dir/mock.out" 2>"$dir/mock.err" 3>&- &
	KAFKA_PID=$!
	wait_for "grep -q '^ready' '$dir/mock.out' 2>/dev/null" 5 || true
	KAFKA_BOOTSTRAP=$(cat "$dir/bootstrap")
	[ -n "$KAFKA_BOOTSTRAP" ]
}

kafka_ctl()
{
	local before

	before=$(grep -c '^ok' "$KAFKA_DIR/mock.out" || true)
	echo "$*" >"$KAFKA_DIR/ctl"
	wait_for "[ \"\$(grep -c '^ok' '$KAFKA_DIR/mock.out')\" -gt $before ]" 5 &&
		return 0
	echo "kafka-mock did not acknowledge: $*" >&2
	return 1
}

kafka_stop()
{
	[ -n "${KAFKA_PID:-}" ] || return 0
	kill "$KAFKA_PID" 2>/dev/null || true
	wait "$KAFKA_PID" 2>/dev/null || true
	KAFKA_PID=
}

kafka_read()
{
	kcat -b "$KAFKA_BOOTSTRAP" -C -q -e -o beginning -t "$1" \
		-f "${2:-%s\\n}" 2>/dev/null
}
