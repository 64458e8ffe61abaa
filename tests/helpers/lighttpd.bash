# lighttpd.bash - a real lighttpd serving sluice.fcgi on a loopback port,
# started from the repo's own lighttpd-conf/lighttpd.conf. Load after
# helpers/common.
#
#   lighttpd_start DIR [PROCS [MODE]]  start it with state (logs, socket,
#                               spool, sluice.conf) in DIR; MODE fastcgi
#                               (default), spawn or cgi (see lighttpd.conf);
#                               sets LIGHTTPD_PID, LIGHTTPD_URL, LIGHTTPD_STATE
#   lighttpd_serve DIR PROCS [LINE...]  write DIR/sluice.conf (spool in
#                               DIR/spool, then each LINE) and
#                               lighttpd_start DIR PROCS
#   lighttpd_stop               SIGTERM, and wait for it and for its
#                               sluice.fcgi processes (which flush first)
#   fcgi_pids                   pids of the sluice.fcgi processes
#
# In spawn mode, FCGI_WRAPPER (e.g. "valgrind --log-file=...") is put in
# front of sluice.fcgi. The benchmark swaps in its ceilings with
# SL_FCGI_PROGRAM, SL_CGI_PROGRAM and SL_LIGHTTPD_CONF_DIR (a directory
# with its own sluice-MODE.conf).

lighttpd_start()
{
	local dir="$1" procs="${2:-2}" mode="${3:-fastcgi}"

	command -v lighttpd >/dev/null ||
		skip "lighttpd is not installed (Debian: lighttpd)"
	LIGHTTPD_STATE="$dir"
	mkdir -p "$dir"
	SPAWNED_PIDS=
	if [ "$mode" = spawn ]; then
		command -v spawn-fcgi >/dev/null ||
			skip "spawn-fcgi is not installed (Debian: spawn-fcgi)"
		rm -f "$dir/sluice.sock"
		SLUICE_CONFIG="$dir/sluice.conf" spawn-fcgi -s "$dir/sluice.sock" \
			-F "$procs" -P "$dir/spawn.pid" -- ${FCGI_WRAPPER:-} \
			"$(sl_bin sluice.fcgi)" \
			>>"$dir/spawn.log" 2>>"$dir/sluice.log" 3>&- || return 1
		SPAWNED_PIDS=$(cat "$dir/spawn.pid")
	fi
	on_free_port lighttpd_launch lighttpd_kill / "$dir/error.log" \
		"$dir/stdout.log" && return 0
	echo "lighttpd did not start:" >&2
	cat "$dir/error.log" "$dir/stdout.log" "$dir/sluice.log" >&2 2>/dev/null
	return 1
}

lighttpd_serve()
{
	local dir="$1" procs="$2"

	shift 2
	mkdir -p "$dir"
	{
		printf '[spool]\ndir = %s/spool\n' "$dir"
		printf '%s\n' "$@"
	} >"$dir/sluice.conf"
	lighttpd_start "$dir" "$procs"
}

# Start lighttpd on port $1 for lighttpd_start (whose locals it reads).
lighttpd_launch()
{
	: >"$dir/error.log"
	SLUICE_PORT=$1 SLUICE_STATE="$dir" \
	SLUICE_FCGI="${SL_FCGI_PROGRAM:-$(sl_bin sluice.fcgi)}" \
	SLUICE_CONFIG="$dir/sluice.conf" SLUICE_PROCS="$procs" \
	SLUICE_CONF_DIR="${SL_LIGHTTPD_CONF_DIR:-$SLUICE_SRCDIR/lighttpd-conf}" \
	SLUICE_MODE="$mode" \
	SLUICE_CGI="${SL_CGI_PROGRAM:-$(sl_bin sluice.cgi)}" \
		lighttpd -D -f "$SLUICE_SRCDIR/lighttpd-conf/lighttpd.conf" \
		>>"$dir/stdout.log" 2>&1 3>&- &
	LIGHTTPD_PID=$!
	LIGHTTPD_URL="http://127.0.0.1:$1"
}

lighttpd_kill()
{
	kill "$LIGHTTPD_PID" 2>/dev/null || true
	wait "$LIGHTTPD_PID" 2>/dev/null || true
	LIGHTTPD_PID=
}

fcgi_pids()
{
	if [ -n "${SPAWNED_PIDS:-}" ]; then
		echo "$SPAWNED_PIDS"
	else
		pgrep -P "$LIGHTTPD_PID" -f sluice.fcgi
	fi
}

# True when pid has exited (gone, or a zombie nobody reaped).
pid_gone()
{
	local state

	state=$(ps -o stat= -p "$1" || true)
	[[ -z "$state" || "$state" == Z* ]]
}

lighttpd_stop()
{
	local pid pids

	[ -n "${LIGHTTPD_PID:-}" ] || return 0
	pids=$(fcgi_pids || true)
	kill -TERM "$LIGHTTPD_PID" 2>/dev/null || return 0
	wait_for "! kill -0 $LIGHTTPD_PID 2>/dev/null" 10 || true
	wait "$LIGHTTPD_PID" 2>/dev/null || true
	# spawn-fcgi's processes are not lighttpd's to stop.
	[ -z "${SPAWNED_PIDS:-}" ] || kill -TERM $SPAWNED_PIDS 2>/dev/null || true
	for pid in $pids; do
		wait_for "pid_gone $pid" 15 || true
	done
	LIGHTTPD_PID=
}
