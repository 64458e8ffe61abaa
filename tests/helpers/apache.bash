# apache.bash - a real Apache 2.4 on a loopback port, serving Sluice
# through the repo's own apache-conf/ snippets. Load after helpers/common.
#
#   apache_start DIR MODE   MODE fcgid (mod_fcgid, sluice.fcgi), proxy-fcgi
#                           (mod_proxy_fcgi to a spawn-fcgi pool of one
#                           process per core, at least 2, as the snippet
#                           recommends) or
#                           cgi (mod_cgid, sluice.cgi); state in DIR, which
#                           must hold sluice.conf and be reachable by
#                           www-data (make it with apache_dir). Sets
#                           APACHE_URL.
#   apache_dir              make and print such a directory under /tmp
#   apache_stop             graceful stop, and wait for it
#   apache_kill CONF PIDFILE   stop the Apache started with CONF (its pid
#                           in PIDFILE), and wait for it

APACHE_MODULES=/usr/lib/apache2/modules

apache_dir()
{
	local dir

	dir=$(mktemp -d /tmp/sluice-apache.XXXXXX)
	chmod 755 "$dir"
	echo "$dir"
}

apache_start()
{
	local dir="$1" mode="$2" user=""

	command -v apache2 >/dev/null ||
		skip "Apache is not installed (Debian: apache2)"
	case "$mode" in
	fcgid) [ -f "$APACHE_MODULES/mod_fcgid.so" ] ||
		skip "mod_fcgid is not installed (Debian: libapache2-mod-fcgid)" ;;
	cgi) ;;
	proxy-fcgi) command -v spawn-fcgi >/dev/null ||
		skip "spawn-fcgi is not installed (Debian: spawn-fcgi)" ;;
	*) echo "apache_start: fcgid, proxy-fcgi or cgi" >&2; return 1 ;;
	esac
	APACHE_DIR="$dir"
	mkdir -p "$dir/docroot" "$dir/fcgid" "$dir/libexec"
	# A copy of the programs: the build tree may sit where www-data
	# cannot reach it.
	cp "$(sl_bin sluice.fcgi)" "$(sl_bin sluice.cgi)" "$dir/libexec/"
	# Apache will not serve as root: its children run as www-data, who
	# must reach the programs, the configuration and the spool.
	if [ "$(id -u)" -eq 0 ]; then
		user="User www-data
Group www-data"
		chown -R www-data: "$dir"
	fi
	APACHE_POOL=
	if [ "$mode" = proxy-fcgi ]; then
		local owner="" procs
		procs=$(nproc)
		[ "$procs" -ge 2 ] || procs=2
		[ "$(id -u)" -ne 0 ] || owner="-u www-data -g www-data -U www-data -G www-data"
		SLUICE_CONFIG="$dir/sluice.conf" spawn-fcgi -s "$dir/sluice.sock" \
			-M 0600 $owner -F "$procs" -P "$dir/pool.pid" \
			-- "$dir/libexec/sluice.fcgi" >/dev/null 2>>"$dir/pool.log" 3>&- ||
			return 1
		APACHE_POOL=$(cat "$dir/pool.pid")
	fi
	on_free_port apache_launch apache_halt /health "$dir/error.log" \
		"$dir/start.err" && return 0
	echo "Apache did not start:" >&2
	cat "$dir/start.err" "$dir/error.log" >&2
	return 1
}

# Write the configuration for port $1 and start Apache, for apache_start
# (whose locals it reads).
apache_launch()
{
	cat >"$dir/httpd.conf" <<CONF
ServerRoot "$dir"
ServerName 127.0.0.1
Listen 127.0.0.1:$1
PidFile "$dir/httpd.pid"
ErrorLog "$dir/error.log"
LogLevel warn
$user
LoadModule mpm_event_module $APACHE_MODULES/mod_mpm_event.so
LoadModule authz_core_module $APACHE_MODULES/mod_authz_core.so
LoadModule alias_module $APACHE_MODULES/mod_alias.so
LoadModule env_module $APACHE_MODULES/mod_env.so
$( [ "$mode" = fcgid ] && echo "LoadModule fcgid_module $APACHE_MODULES/mod_fcgid.so" )
$( [ "$mode" = cgi ] && echo "LoadModule cgid_module $APACHE_MODULES/mod_cgid.so" )
$( [ "$mode" = proxy-fcgi ] && printf 'LoadModule proxy_module %s/mod_proxy.so\nLoadModule proxy_fcgi_module %s/mod_proxy_fcgi.so\nDefine SLUICE_SOCKET %s/sluice.sock\n' "$APACHE_MODULES" "$APACHE_MODULES" "$dir" )
FcgidIPCDir "$dir/fcgid"
FcgidProcessTableFile "$dir/fcgid/shm"
ScriptSock "$dir/cgid.sock"
DocumentRoot "$dir/docroot"
Define SLUICE_LIBEXEC $dir/libexec
Define SLUICE_CONFIG $dir/sluice.conf
Include "$SLUICE_SRCDIR/apache-conf/sluice-$mode.conf"
CONF
	# mod_fcgid and mod_cgid directives are only known with them.
	[ "$mode" = fcgid ] || sed -i '/^Fcgid/d' "$dir/httpd.conf"
	[ "$mode" = cgi ] || sed -i '/^ScriptSock/d' "$dir/httpd.conf"
	: >"$dir/error.log"
	[ "$(id -u)" -ne 0 ] || chown www-data: "$dir/error.log"
	# A bind failure is told on stderr: the logs are not open yet.
	apache2 -f "$dir/httpd.conf" -k start 3>&- 2>"$dir/start.err" || true
	APACHE_URL="http://127.0.0.1:$1"
}

apache_kill()
{
	local pid

	[ -f "$2" ] || return 0
	pid=$(cat "$2")
	apache2 -f "$1" -k stop 2>/dev/null || kill "$pid" 2>/dev/null || true
	wait_for "! kill -0 $pid 2>/dev/null" 10 || true
	rm -f "$2"
}

# Stop Apache itself (not the spawn-fcgi pool), and wait for it.
apache_halt()
{
	# Callers with set -u may stop an Apache they never started.
	[ -n "${APACHE_DIR:-}" ] || return 0
	apache_kill "$APACHE_DIR/httpd.conf" "$APACHE_DIR/httpd.pid"
}

apache_stop()
{
	local pid

	apache_halt
	if [ -n "${APACHE_POOL:-}" ]; then
		kill -TERM $APACHE_POOL 2>/dev/null || true
		for pid in $APACHE_POOL; do
			wait_for "! kill -0 $pid 2>/dev/null" 10 || true
		done
		APACHE_POOL=
	fi
}
