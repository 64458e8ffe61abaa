# common.bash - helpers shared by the bats suites. Load with
#   load helpers/common
#
#   sl_bin NAME            path of a built program: sluice, sluice.cgi, sluice.fcgi
#   write_config [LINE...] write $CONF: spool in $SPOOL, app test_release,
#                          then each LINE (more keys or sections)
#   cgi METHOD PATH [QUERY] [NAME=VALUE...]
#                          run sluice.cgi once as a web server would: CGI
#                          variables from the arguments (-NAME removes one),
#                          body from $BODY_FILE (CONTENT_LENGTH its size
#                          unless given). Sets
#                          cgi_status, cgi_headers, cgi_log and writes the
#                          body to $CGI_BODY. Fails when the program does not
#                          exit 0 or a sanitizer reported anything. With
#                          CGI_FSIZE=N the program may write files of at
#                          most N bytes (a disk that fills up).
#   body TEXT              use TEXT as the request body of the next cgi calls
#   header NAME            value of a header of the last cgi response
#   body_text              the last cgi response body
#   spool_records          every spool line ($SPOOL/*.jsonl), in order
#   spool_values TOPIC     the record values (JSON) for TOPIC, one per line
#   no_sanitizer_report FILE   fail when FILE holds a sanitizer report
#   wait_for CMD SECONDS   retry CMD (a string) until it succeeds or time is up
#   skip_by_design WHY     skip a test that cannot run in this build or
#                          setup whatever the machine has (the plain build
#                          runs the benchmark, a sanitizer build cannot
#                          measure RSS): tests/run counts it as skipped.
#                          Any other skip is counted as a failure there,
#                          since tests/run installs all the suites need
#   assert_eq GOT WANT     fail, showing both, unless they are equal
#   assert_spool_whole     fail unless every spool file ends with a newline
#                          and every line of it is a record
#   http URL [CURL ARGS...]  one request with curl (20 s at most): prints
#                          the status; the body lands in $HTTP_BODY, the
#                          headers in $HTTP_BODY.h (see http_header)
#   http_header NAME       value of a header of the last http response
#   on_free_port START STOP PATH LOG...
#                          start a server on a free loopback port: run
#                          START PORT, wait until PATH answers; when it
#                          does not, run STOP and try another port, but
#                          only when a LOG says the port was taken
#
# Environment from `make check`: SLUICE_BUILDDIR, SLUICE_SRCDIR and, in a
# sanitizer build, SLUICE_SANITIZERS=1.

: "${SLUICE_BUILDDIR:?run the suites with make check}"
: "${SLUICE_SRCDIR:=$SLUICE_BUILDDIR}"

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=86"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=87"

sl_bin()
{
	case "$1" in
	sluice) echo "$SLUICE_BUILDDIR/src/sluice" ;;
	sluice.cgi) echo "$SLUICE_BUILDDIR/cgi-bin/sluice.cgi" ;;
	sluice.fcgi) echo "$SLUICE_BUILDDIR/fcgi/sluice.fcgi" ;;
	*) echo "sl_bin: unknown program $1" >&2; return 1 ;;
	esac
}

skip_by_design()
{
	skip "by design: $1"
}

sl_common_setup()
{
	SPOOL="$BATS_TEST_TMPDIR/spool"
	CONF="$BATS_TEST_TMPDIR/sluice.conf"
	CGI_BODY="$BATS_TEST_TMPDIR/cgi-body"
	BODY_FILE=""
}

write_config()
{
	{
		printf '[spool]\ndir = %s\n' "$SPOOL"
		printf '[app test_release]\n'
		[ $# -eq 0 ] || printf '%s\n' "$@"
	} >"$CONF"
}

no_sanitizer_report()
{
	if grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' "$1"; then
		echo "sanitizer report in $1:" >&2
		cat "$1" >&2
		return 1
	fi
}

cgi()
{
	local method="$1" path="$2" query="${3-}" out err rc
	local -a vars=()

	shift 2
	[ $# -gt 0 ] && shift
	out="$BATS_TEST_TMPDIR/cgi-out"
	err="$BATS_TEST_TMPDIR/cgi-err"
	vars=(PATH="$PATH" SLUICE_CONFIG="$CONF"
		ASAN_OPTIONS="$ASAN_OPTIONS" UBSAN_OPTIONS="$UBSAN_OPTIONS"
		GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1
		REQUEST_METHOD="$method" SCRIPT_NAME=/cgi-bin/sluice.cgi
		PATH_INFO="$path" QUERY_STRING="$query"
		REQUEST_URI="/cgi-bin/sluice.cgi$path${query:+?$query}"
		REMOTE_ADDR=203.0.113.7)
	if [ -n "$BODY_FILE" ]; then
		vars+=(CONTENT_LENGTH="$(stat -c %s "$BODY_FILE")"
			CONTENT_TYPE=application/json)
	fi
	local a v
	for a in "$@"; do
		if [ "${a#-}" != "$a" ]; then
			for v in "${!vars[@]}"; do
				[ "${vars[$v]%%=*}" = "${a#-}" ] && unset "vars[$v]"
			done
		else
			vars+=("$a")
		fi
	done
	rc=0
	${CGI_FSIZE:+prlimit --fsize="$CGI_FSIZE"} \
	env -i "${vars[@]}" "$(sl_bin sluice.cgi)" \
		<"${BODY_FILE:-/dev/null}" >"$out" 2>"$err" || rc=$?
	cgi_log=$(cat "$err")
	no_sanitizer_report "$err" || return 1
	if [ "$rc" -ne 0 ]; then
		echo "sluice.cgi exited $rc; stderr: $cgi_log" >&2
		return 1
	fi
	# Split the CGI response at the blank line.
	cgi_headers=$(perl -0777 -ne 'print $1 if /\A(.*?)\r\n\r\n/s' "$out")
	perl -0777 -ne 'print $1 if /\A.*?\r\n\r\n(.*)\z/s' "$out" >"$CGI_BODY"
	cgi_status=$(printf '%s\n' "$cgi_headers" |
		sed -n 's/^Status: \([0-9]*\).*/\1/p' | tr -d '\r')
}

body()
{
	BODY_FILE="$BATS_TEST_TMPDIR/body"
	printf '%s' "$1" >"$BODY_FILE"
}

header()
{
	printf '%s\n' "$cgi_headers" | tr -d '\r' |
		sed -n "s/^$1: //Ip" | head -n 1
}

body_text()
{
	cat "$CGI_BODY"
}

spool_records()
{
	local f

	# Closed files first (oldest first), then the one being written.
	for f in $(ls "$SPOOL"/spool-*.jsonl 2>/dev/null | sort) \
		"$SPOOL/current.jsonl"; do
		[ -f "$f" ] && cat "$f"
	done
	return 0
}

spool_values()
{
	spool_records | jq -c --arg t "$1" 'select(.topic == $t) | .value | fromjson'
}

# Fail with a message unless $1 equals $2.
assert_eq()
{
	if [ "$1" != "$2" ]; then
		printf 'expected: %s\n     got: %s\n' "$2" "$1" >&2
		return 1
	fi
}

# Wait up to $2 seconds for command $1 to succeed.
wait_for()
{
	local i

	for i in $(seq $(($2 * 10))); do
		eval "$1" && return 0
		sleep 0.1
	done
	eval "$1"
}

assert_spool_whole()
{
	local f

	for f in "$SPOOL"/*.jsonl; do
		[ -s "$f" ] || continue		# empty is whole
		[ "$(tail -c 1 "$f" | od -An -tx1 | tr -d ' ')" = 0a ] || {
			echo "$f does not end with a newline" >&2
			return 1
		}
	done
	spool_records | jq -e -s 'all(.[]; (.topic | type) == "string" and
		((.value | type) == "string" or (.value_b64 | type) == "string"))' \
		>/dev/null || {
		echo "spool holds a line that is not a record:" >&2
		spool_records | tail -3 >&2
		return 1
	}
}

HTTP_BODY="${BATS_TEST_TMPDIR:-${TMPDIR:-/tmp}}/http-body.$$"

http()
{
	curl -s -o "$HTTP_BODY" -D "$HTTP_BODY.h" -w '%{http_code}' \
		--max-time 20 "$@"
}

http_header()
{
	tr -d '\r' <"$HTTP_BODY.h" | sed -n "s/^$1: //Ip" | head -n 1
}

on_free_port()
{
	local start="$1" stop="$2" path="$3" try port
	shift 3

	for try in 1 2 3 4 5 6 7 8 9 10; do
		port=$((20000 + RANDOM % 30000))
		"$start" "$port" || true
		wait_for "curl -s -o /dev/null http://127.0.0.1:$port$path" 5 &&
			return 0
		"$stop"
		grep -qs 'Address already in use' "$@" || return 1
	done
	return 1
}
