# corpus.bash - the records a request makes, in a form that compares
# across builds. Load after helpers/common.
#
#   corpus_config          write $CONF for the cases in tests/corpus
#   corpus_case FILE       run sluice.cgi on the case FILE ("NAME=value"
#                          CGI variables, an empty line, the body) and
#                          print its status, then each record it spooled:
#                          sorted keys, the receive time (also as the
#                          event time it stands for), request id and
#                          generated (version 4) UUIDs left out

corpus_config()
{
	cat >"$CONF" <<CONF
[spool]
dir = $SPOOL
[http]
max_body = 65536
max_events = 100
trusted_proxies = 127.0.0.0/8, ::1/128
[app test_release]
[app signed]
token = s3cret
verify_hash = true
[app bytype]
topic_by_type = true
[source source-id]
[datasource my-datasource]
[writekey wk]
CONF
}

corpus_case()
{
	local file="$1" head body
	local -a vars=()

	rm -rf "$SPOOL"
	head=$(sed '/^$/q' "$file")
	body="$BATS_TEST_TMPDIR/corpus-body"
	# The body is everything after the first empty line, byte for byte.
	perl -0777 -ne 'print $1 if /\A.*?\n\n(.*)\z/s' "$file" >"$body"
	while IFS= read -r line; do
		[ -n "$line" ] && vars+=("$line")
	done <<<"$head"
	env -i PATH="$PATH" SLUICE_CONFIG="$CONF" \
		ASAN_OPTIONS="$ASAN_OPTIONS" UBSAN_OPTIONS="$UBSAN_OPTIONS" \
		GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 \
		REMOTE_ADDR=203.0.113.7 CONTENT_LENGTH="$(stat -c %s "$body")" \
		"${vars[@]}" "$(sl_bin sluice.cgi)" <"$body" \
		>"$BATS_TEST_TMPDIR/corpus-out" 2>"$BATS_TEST_TMPDIR/corpus-err" || true
	no_sanitizer_report "$BATS_TEST_TMPDIR/corpus-err" || return 1
	sed -n 's/^Status: \([0-9]*\).*/\1/p' "$BATS_TEST_TMPDIR/corpus-out" | head -n 1
	spool_records | jq -cS '
		def clean: walk(if type == "string" and test("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
			then "<uuid>" else . end);
		.headers |= del(.request_id, .received_at)
		| if .value then .value as $v | .value = ($v | try fromjson catch $v)
		  else . end
		| if (.value | type) == "object"
		  then .value |= ((if .event_ts == .received_at and .event_ts != null
				   then .event_ts = "<received_at>" else . end)
				  | del(.received_at, .request_id)) else . end
		| clean'
}
