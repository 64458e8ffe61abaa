# browser.bash - pages on another origin and headless Chromium reading
# them. Load after helpers/common.
#
#   pages_start DIR DOCROOT PROBE  serve DOCROOT with a plain lighttpd whose
#                          state is in DIR, on a free loopback port, once
#                          PROBE (a path) answers; sets PAGE_PID, PAGE_URL
#   pages_stop             stop it
#   browse URL             load URL in headless Chromium (a fresh profile,
#                          5 s of virtual time) and print the DOM

pages_start()
{
	PAGES_DIR="$1" PAGES_ROOT="$2"
	mkdir -p "$PAGES_DIR"
	on_free_port pages_launch pages_stop "$3" "$PAGES_DIR/error.log" \
		"$PAGES_DIR/stdout.log"
}

# A plain lighttpd serving $PAGES_ROOT on port $1.
pages_launch()
{
	cat >"$PAGES_DIR/lighttpd.conf" <<CONF
server.bind = "127.0.0.1"
server.port = $1
server.document-root = "$PAGES_ROOT"
server.errorlog = "$PAGES_DIR/error.log"
mimetype.assign = (".html" => "text/html", ".js" => "text/javascript")
CONF
	lighttpd -D -f "$PAGES_DIR/lighttpd.conf" >"$PAGES_DIR/stdout.log" 2>&1 3>&- &
	PAGE_PID=$!
	PAGE_URL="http://127.0.0.1:$1"
}

pages_stop()
{
	[ -n "${PAGE_PID:-}" ] || return 0
	kill "$PAGE_PID" 2>/dev/null || true
	wait "$PAGE_PID" 2>/dev/null || true
	PAGE_PID=
}

browse()
{
	chromium --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--user-data-dir="$BATS_TEST_TMPDIR/profile" \
		--virtual-time-budget=5000 --dump-dom "$1" 2>/dev/null
}
