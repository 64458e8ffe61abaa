#!/usr/bin/env bats
# sluice.fcgi under valgrind's memcheck, started by spawn-fcgi behind
# lighttpd, producing to the mock cluster, over a mixed stream of good
# and bad requests of every route, then stopped by SIGTERM: no invalid
# access, no use of uninitialised memory, no definite or indirect leak.
#
# SLUICE_MEMCHECK_REQUESTS sets the length (default 1,000; the closing
# notes quote runs of 10,000). Skipped in the sanitizer build: valgrind
# and AddressSanitizer do not run together.

load helpers/common
load helpers/lighttpd
load helpers/kafka

setup()
{
	sl_common_setup
	[ "${SLUICE_SANITIZERS:-0}" = 1 ] &&
		skip_by_design "valgrind cannot run an AddressSanitizer build"
	command -v valgrind >/dev/null || skip "valgrind is not installed"
	TOTAL=${SLUICE_MEMCHECK_REQUESTS:-1000}
}

teardown()
{
	lighttpd_stop
	kafka_stop
}

# The request kinds, one curl config entry each; @ID@ is replaced by a
# request number. Bodies that are files are in $1.
kinds()
{
	local d=$1 u=$LIGHTTPD_URL

	cat <<EOF
url = "$u/pixel?n=@ID@&page=%2Fhome"
url = "$u/pixel?n=%zz"
url = "$u/e"
data = "{\"n\":\"@ID@\",\"ok\":true}"
url = "$u/e"
data = "{\"n\":[1,2]}"
url = "$u/collect?appId=test_release"
data-binary = "@$d/click.json"
url = "$u/collect?appId=test_release&compression=gzip"
data-binary = "@$d/click.json.gz"
url = "$u/collect?appId=test_release&compression=gzip"
data-binary = "@$d/bomb.gz"
url = "$u/collect?appId=nobody"
data-binary = "@$d/click.json"
url = "$u/collect?appId=test_release"
data = "[{\"event_type\":\"t\",\"a\":{\"a\":1,\"a\":2}}]"
url = "$u/api/v1/events"
header = "Content-Type: application/json"
header = "X-User-ID: u@ID@"
data = "{\"req_guid\":\"g@ID@\",\"events\":[{\"event_bytes\":\"aGk=\",\"type\":\"booking\"}]}"
url = "$u/api/v1/events"
header = "Content-Type: application/protobuf"
data-binary = "@$d/raccoon.pb"
url = "$u/api/v1/events"
header = "Content-Type: application/protobuf"
data-binary = "@$d/garbage"
url = "$u/track"
data = "{\"source\":{\"id\":\"source-id\"},\"session\":{\"id\":\"s@ID@\"},\"events\":[{\"type\":\"page-view\",\"properties\":{\"n\":@ID@}}]}"
url = "$u/track"
data = "{\"source\":{\"id\":\"nowhere\"},\"events\":[{\"type\":\"a\"}]}"
url = "$u/collect/coupon-received/source-id"
data = "{\"voucher\":\"V@ID@\"}"
url = "$u/collect/my-datasource/rlvt"
data = "{\"key\":\"k\",\"eventId\":\"e@ID@\",\"name\":\"product_page\",\"url\":\"https://x/p?q=1\",\"data\":{\"ids\":[\"42\"],\"value\":\"bad\"},\"v\":1}"
url = "$u/collect/my-datasource/rlvt"
data = "{\"key\":\"k\",\"v\":2}"
url = "$u/health"
url = "$u/metrics"
url = "$u/nowhere"
url = "$u/e"
request = "PUT"
url = "$u/api/v1/events"
data = "$(printf '%.0s[' {1..100})"
EOF
}

@test "memcheck: a mixed stream of good and bad requests, no error, no leak" {
	local dir="$BATS_TEST_TMPDIR/lighttpd" d="$BATS_TEST_TMPDIR/bodies"
	local logs summary answered

	command -v spawn-fcgi >/dev/null || skip "spawn-fcgi is not installed"
	kafka_start "$BATS_TEST_TMPDIR/kafka"
	mkdir -p "$dir" "$d"
	SPOOL="$dir/spool" CONF="$dir/sluice.conf"
	write_config '[kafka]' "brokers = $KAFKA_BOOTSTRAP" \
		'[source source-id]' '[datasource my-datasource]'
	printf '[{"event_type":"t","event_id":"c1","timestamp":1,"app_id":"a","attributes":{"p":9.5}}]' >"$d/click.json"
	gzip -c "$d/click.json" >"$d/click.json.gz"
	head -c 20000000 /dev/zero | gzip -9 >"$d/bomb.gz"
	printf 'req_guid: "g" events { event_bytes: "hi" type: "click" }' |
		protoc -I "$SLUICE_SRCDIR/tests/helpers" -I /usr/include \
		--encode=raystack.raccoon.v1beta1.SendEventRequest raccoon.proto >"$d/raccoon.pb"
	head -c 300 /dev/urandom >"$d/garbage"

	FCGI_WRAPPER="$(command -v valgrind) --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --log-file=$dir/valgrind.%p.log" \
		lighttpd_start "$dir" 1 spawn

	# The kinds, cycled with a fresh number each, TOTAL requests in all.
	kinds "$d" | awk -v total="$TOTAL" '
		/^url = / { k++ } { kind[k] = kind[k] $0 "\n" }
		END {
			for (i = 1; i <= total; i++) {
				s = kind[(i - 1) % k + 1]
				gsub(/@ID@/, i, s)
				printf "%soutput = \"/dev/null\"\nwrite-out = \"%%{http_code}\\n\"\nmax-time = 60\n", s
				if (i < total) print "next"
			}
		}' >"$dir/curl.cfg"
	curl -s -K "$dir/curl.cfg" >"$dir/answers" 3>&-
	answered=$(sort "$dir/answers" | uniq -c | tr -s ' \n' '  ')
	echo "# $TOTAL requests, statuses:$answered" >&3
	assert_eq "$(wc -l <"$dir/answers")" "$TOTAL"
	# Every request got an answer from Sluice, none from a dead backend.
	[ -z "$(grep -v '^[2-4][0-9][0-9]$' "$dir/answers")" ]

	lighttpd_stop
	logs=$(ls "$dir"/valgrind.*.log)
	[ "$(echo "$logs" | wc -l)" -eq 1 ]
	# valgrind writes its summary when the process has run to its end.
	wait_for 'grep -q "ERROR SUMMARY" "$logs"' 120
	summary=$(grep -E "ERROR SUMMARY|definitely lost|indirectly lost|in use at exit" "$logs")
	echo "$summary" | sed 's/^==[0-9]*== /# /' >&3
	grep -q "ERROR SUMMARY: 0 errors from 0 contexts" "$logs" ||
		{ cat "$logs"; false; }
}
