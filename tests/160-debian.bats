#!/usr/bin/env bats
# The Debian package, as an administrator meets it: built with
# dpkg-buildpackage from this checkout, checked by lintian, installed with
# dpkg, the lighttpd and Apache configurations enabled with Debian's own
# tools, the FastCGI pool and the relay started as their systemd units
# would start them, the request suite sent through both servers, and the
# package purged. Needs root (it installs on this machine) and a git
# checkout with debian/; runs in the plain build only (the package is
# built from the sources, not from this build tree).

load helpers/common
load helpers/apache
load helpers/kafka
load helpers/suite

UNITS=/lib/systemd/system

setup_file()
{
	local src="$BATS_FILE_TMPDIR/src/sluice"

	[ "$(id -u)" -eq 0 ] || return 0
	[ "${SLUICE_SANITIZERS:-0}" = 0 ] || return 0
	[ -d "$SLUICE_SRCDIR/debian" ] && git -C "$SLUICE_SRCDIR" rev-parse 2>/dev/null ||
		return 0
	# What the checkout holds (committed or not, but not ignored): the
	# build must not see this machine's build trees.
	mkdir -p "$src"
	(cd "$SLUICE_SRCDIR" && git ls-files -co --exclude-standard -z |
		xargs -0 tar -cf - --no-recursion) | tar -xf - -C "$src"
	# As the README's "Install on Debian" says: the build dependencies
	# from debian/control, then the package.
	(cd "$src" && DEBIAN_FRONTEND=noninteractive apt-get build-dep -y ./ &&
		dpkg-buildpackage -us -uc -b) >"$BATS_FILE_TMPDIR/build.log" 2>&1 ||
		true
	# State the servers' users (www-data, sluice) can reach: bats's
	# own directory is private.
	mktemp -d /tmp/sluice-debian.XXXXXX >"$BATS_FILE_TMPDIR/state"
	chmod 755 "$(cat "$BATS_FILE_TMPDIR/state")"
	# Whether the machine had these before the tests (restored after).
	[ -L /etc/lighttpd/conf-enabled/10-fastcgi.conf ] &&
		touch "$BATS_FILE_TMPDIR/had-lighttpd-fastcgi"
	[ -L /etc/apache2/mods-enabled/proxy_fcgi.load ] &&
		touch "$BATS_FILE_TMPDIR/had-apache-proxy-fcgi"
	getent passwd sluice >/dev/null && touch "$BATS_FILE_TMPDIR/had-user"
	[ -e /var/spool/sluice ] && touch "$BATS_FILE_TMPDIR/had-spool"
	[ -e /run/sluice ] && touch "$BATS_FILE_TMPDIR/had-run"
	return 0
}

teardown_file()
{
	[ "$(id -u)" -eq 0 ] && [ -d "$BATS_FILE_TMPDIR/src" ] || return 0
	dpkg -s sluice >/dev/null 2>&1 && dpkg --purge sluice >/dev/null 2>&1
	[ -e "$BATS_FILE_TMPDIR/had-lighttpd-fastcgi" ] ||
		lighty-disable-mod fastcgi >/dev/null 2>&1
	[ -e "$BATS_FILE_TMPDIR/had-apache-proxy-fcgi" ] ||
		a2dismod -q proxy_fcgi proxy >/dev/null 2>&1
	[ -e "$BATS_FILE_TMPDIR/had-spool" ] || rm -rf /var/spool/sluice
	[ -e "$BATS_FILE_TMPDIR/had-user" ] || deluser --system sluice >/dev/null 2>&1
	[ -e "$BATS_FILE_TMPDIR/had-run" ] || rm -rf /run/sluice
	rm -rf "$(cat "$BATS_FILE_TMPDIR/state")"
	return 0
}

setup()
{
	[ "$(id -u)" -eq 0 ] || skip "installs a package: needs root"
	[ "${SLUICE_SANITIZERS:-0}" = 0 ] || skip_by_design "the package is tested in the plain build"
	[ -d "$BATS_FILE_TMPDIR/src" ] ||
		skip_by_design "not a git checkout with debian/ (a release tarball has no packaging)"
	[ ! -e "$BATS_FILE_TMPDIR/had-spool" ] ||
		skip "/var/spool/sluice exists already: its records are not the tests' to touch"
	DEB=$(ls "$BATS_FILE_TMPDIR"/src/sluice_*_*.deb 2>/dev/null | head -n 1)
	STATE=$(cat "$BATS_FILE_TMPDIR/state")
}

teardown()
{
	local pid

	for pid in $(cat "$STATE"/*.pid 2>/dev/null); do
		kill -TERM "$pid" 2>/dev/null || true
		wait_for "! kill -0 $pid 2>/dev/null" 15 || true
	done
	rm -f "$STATE"/*.pid
	[ -z "${KAFKA_PID:-}" ] || kafka_stop
}

# The values of KEY= in a unit file, one per line.
unit_get()
{
	sed -n "s/^$2=//p" "$UNITS/$1"
}

# The unit's KEY= command line with ${NAME} replaced by the value the
# NAME=VALUE arguments give (as a drop-in would), else by Environment=.
unit_cmd()
{
	local unit="$1" key="$2" line env
	shift 2

	line=$(unit_get "$unit" "$key")
	while IFS= read -r env; do
		[ -n "$env" ] || continue
		line=${line//\$\{${env%%=*}\}/${env#*=}}
	done < <(printf '%s\n' "$@"; unit_get "$unit" Environment)
	echo "$line"
}

# Run a unit's command as systemd would: a clean environment of the
# unit's Environment= lines, as its User= and Group=. (Plus
# SLUICE_BUILDDIR, by which tests/run finds what a suite left running.)
as_unit()
{
	local unit="$1"
	shift

	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		SLUICE_BUILDDIR="$SLUICE_BUILDDIR" \
		$(unit_get "$unit" Environment) \
		setpriv --reuid="$(unit_get "$unit" User)" \
		--regid="$(unit_get "$unit" Group)" --init-groups -- "$@"
}

# Start sluice-fcgi.service's ExecStart on sluice-fcgi.socket's socket,
# both as systemd would: the socket made with the socket unit's owner and
# mode and passed as fd 3 with LISTEN_FDS (systemd-socket-activate), the
# pool started at the first connection.
pool_start()
{
	local sock env args=()

	sock=$(unit_get sluice-fcgi.socket ListenStream)
	mkdir -p -m "$(unit_get sluice-fcgi.socket DirectoryMode)" "$(dirname "$sock")"
	rm -f "$sock"
	as_unit sluice-fcgi.service $(unit_cmd sluice-fcgi.service ExecStartPre)
	while IFS= read -r env; do
		args+=(-E "$env")
	done < <(unit_get sluice-fcgi.service Environment;
		echo "SLUICE_BUILDDIR=$SLUICE_BUILDDIR")
	systemd-socket-activate -l "$sock" "${args[@]}" \
		setpriv --reuid="$(unit_get sluice-fcgi.service User)" \
		--regid="$(unit_get sluice-fcgi.service Group)" --init-groups -- \
		$(unit_cmd sluice-fcgi.service ExecStart) \
		2>"$STATE/pool.log" 3>&- &
	echo $! >"$STATE/pool.pid"
	wait_for "[ -S '$sock' ]" 5
	chown "$(unit_get sluice-fcgi.socket SocketUser):$(unit_get sluice-fcgi.socket SocketGroup)" "$sock"
	chmod "$(unit_get sluice-fcgi.socket SocketMode)" "$sock"
}

# lighttpd with Debian's conf-enabled/ (as lighty-enable-mod left it) on
# a loopback port, as www-data.
lighttpd_debian()
{
	mkdir -p "$STATE/www"
	cat >"$STATE/lighttpd.conf" <<CONF
server.bind = "127.0.0.1"
server.port = $1
server.document-root = "$STATE/www"
server.errorlog = "$STATE/lighttpd-error.log"
server.pid-file = "$STATE/lighttpd-daemon.pid"
server.username = "www-data"
server.groupname = "www-data"
server.modules = ( "mod_access" )
include "/etc/lighttpd/conf-enabled/*.conf"
server.modules += ( "mod_staticfile" )
CONF
	# lighttpd opens its log once it is www-data.
	: >"$STATE/lighttpd-error.log"
	chown www-data: "$STATE/lighttpd-error.log"
	lighttpd -D -f "$STATE/lighttpd.conf" >"$STATE/lighttpd.out" 2>&1 3>&- &
	echo $! >"$STATE/lighttpd.pid"
	URL="http://127.0.0.1:$1"
}

lighttpd_debian_stop()
{
	kill "$(cat "$STATE/lighttpd.pid")" 2>/dev/null || true
	rm -f "$STATE/lighttpd.pid"
}

# Apache with Debian's mods-enabled/ and conf-enabled/ (as a2enmod and
# a2enconf left them) on a loopback port.
apache_debian()
{
	mkdir -p "$STATE/www"
	cat >"$STATE/apache2.conf" <<CONF
ServerRoot /etc/apache2
ServerName 127.0.0.1
Listen 127.0.0.1:$1
PidFile $STATE/apache2.pid
ErrorLog $STATE/apache-error.log
DefaultRuntimeDir $STATE
User www-data
Group www-data
DocumentRoot $STATE/www
IncludeOptional /etc/apache2/mods-enabled/*.load
IncludeOptional /etc/apache2/mods-enabled/*.conf
IncludeOptional /etc/apache2/conf-enabled/*.conf
CONF
	APACHE_LOG_DIR="$STATE" APACHE_RUN_DIR="$STATE" APACHE_LOCK_DIR="$STATE" \
		apache2 -f "$STATE/apache2.conf" -k start 3>&- 2>"$STATE/apache.err" || true
	URL="http://127.0.0.1:$1"
}

apache_debian_stop()
{
	apache_kill "$STATE/apache2.conf" "$STATE/apache2.pid"
}

@test "dpkg-buildpackage builds the .deb; lintian finds nothing unexplained" {
	[ -n "$DEB" ] || { tail -n 40 "$BATS_FILE_TMPDIR/build.log"; false; }
	run dpkg-deb -c "$DEB"
	for path in ./usr/bin/sluice ./usr/libexec/sluice/sluice.fcgi \
		./usr/libexec/sluice/sluice.cgi ./etc/sluice/sluice.conf \
		./etc/lighttpd/conf-available/20-sluice.conf \
		./etc/apache2/conf-available/sluice.conf \
		./lib/systemd/system/sluice-relay.service \
		./lib/systemd/system/sluice-fcgi.service \
		./lib/systemd/system/sluice-fcgi.socket \
		./usr/share/sluice/sluice.js ./usr/share/man/man1/sluice.1.gz; do
		grep -q " $path\$" <<<"$output" || { echo "missing: $path"; false; }
	done
	[ "$(dpkg-deb -f "$DEB" Version)" = "$(sed -n '1s/.*(\(.*\)).*/\1/p' "$SLUICE_SRCDIR/debian/changelog")" ]
	# Info tags too: each one left is overridden with its reason in
	# debian/sluice.lintian-overrides.
	run lintian -I --fail-on error,warning,info "${DEB%.deb}.changes"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "installed: the sluice user owns a 0700 spool, the conffile is root:sluice 0640, the units verify" {
	[ -n "$DEB" ] || skip "no package was built"
	# The README's install command: apt brings what the package needs.
	DEBIAN_FRONTEND=noninteractive apt-get install -y "$DEB"
	[ "$(stat -c '%U %G %a' /var/spool/sluice)" = "sluice sluice 700" ]
	[ "$(stat -c '%U %G %a' /etc/sluice/sluice.conf)" = "root sluice 640" ]
	grep -qx /etc/sluice/sluice.conf /var/lib/dpkg/info/sluice.conffiles
	/usr/bin/sluice check-config /etc/sluice/sluice.conf
	run systemd-analyze verify "$UNITS/sluice-fcgi.socket" \
		"$UNITS/sluice-fcgi.service" "$UNITS/sluice-relay.service"
	echo "$output"
	[ "$status" -eq 0 ]
	# The hardening the units promise.
	for unit in sluice-fcgi.service sluice-relay.service; do
		[ "$(unit_get $unit User)" = sluice ]
		[ "$(unit_get $unit ProtectSystem)" = strict ]
		[ "$(unit_get $unit ReadWritePaths)" = /var/spool/sluice ]
		[ "$(unit_get $unit NoNewPrivileges)" = yes ]
		[ "$(unit_get $unit PrivateTmp)" = yes ]
	done
	# dh_installsystemd enabled the socket and the relay.
	[ -L /etc/systemd/system/sockets.target.wants/sluice-fcgi.socket ]
	[ -L /etc/systemd/system/multi-user.target.wants/sluice-relay.service ]
}

@test "lighty-enable-mod sluice and a2enconf sluice: the request suite through both, into the pool of sluice-fcgi.socket" {
	[ -n "$DEB" ] || skip "no package was built"
	dpkg -s sluice >/dev/null
	# The administrator's configuration: the suite's apps and sources.
	suite_config /etc/sluice/sluice.conf /var/spool/sluice
	pool_start
	lighty-enable-mod sluice
	[ -L /etc/lighttpd/conf-enabled/20-sluice.conf ]
	[ -L /etc/lighttpd/conf-enabled/10-fastcgi.conf ]
	on_free_port lighttpd_debian lighttpd_debian_stop /health \
		"$STATE/lighttpd-error.log" "$STATE/lighttpd.out" ||
		{ cat "$STATE/lighttpd-error.log" "$STATE/lighttpd.out"; false; }
	# The rest of the site is not Sluice's.
	echo page >"$STATE/www/index.html"
	[ "$(http "$URL/index.html")" = 200 ]
	[ "$(cat "$HTTP_BODY")" = page ]
	request_suite "$URL" /var/spool/sluice
	lighttpd_debian_stop
	# The pool ran as the sluice user and wrote the spool as it.
	[ "$(stat -c %U /var/spool/sluice/current.jsonl)" = sluice ]
	mv /var/spool/sluice/current.jsonl "$STATE/lighttpd.jsonl"

	a2enmod -q proxy_fcgi
	a2enconf -q sluice
	[ -L /etc/apache2/conf-enabled/sluice.conf ]
	on_free_port apache_debian apache_debian_stop /health \
		"$STATE/apache-error.log" "$STATE/apache.err" ||
		{ cat "$STATE/apache-error.log" "$STATE/apache.err"; false; }
	request_suite "$URL" /var/spool/sluice
	apache_debian_stop
	# SLUICE_PROCESSES=auto: one process per CPU the pool may run on.
	grep -q "pool of $(nproc) process(es) started" "$STATE/pool.log"
	! grep -q 'error' "$STATE/pool.log"
	# The records of both servers are back where the relay finds them.
	cat "$STATE/lighttpd.jsonl" >>/var/spool/sluice/current.jsonl
}

@test "sluice-relay.service: nothing to ship to without brokers (status 78, not restarted); with them, the spool reaches Kafka" {
	[ -n "$DEB" ] || skip "no package was built"
	[ -s /var/spool/sluice/current.jsonl ] || skip "the suite left no records"
	[ "$(unit_get sluice-relay.service RestartPreventExitStatus)" = 78 ]
	[ "$(unit_get sluice-relay.service SuccessExitStatus)" = 78 ]
	run as_unit sluice-relay.service $(unit_cmd sluice-relay.service ExecStart)
	[ "$status" -eq 78 ]
	[[ "$output" == *"kafka.brokers is not set"* ]]

	kafka_start "$STATE/kafka"
	# A drop-in pointing the relay at a configuration with brokers.
	mkdir -p "$STATE/etc"
	chmod 755 "$STATE/etc"
	printf '[spool]\ndir = /var/spool/sluice\n[kafka]\nbrokers = %s\n' \
		"$KAFKA_BOOTSTRAP" >"$STATE/etc/relay.conf"
	local events
	events=$(spool_dir_records /var/spool/sluice | jq -r .topic | grep -cx events)
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin SLUICE_BUILDDIR="$SLUICE_BUILDDIR" \
		setpriv --reuid=sluice --regid=sluice --init-groups -- \
		$(unit_cmd sluice-relay.service ExecStart "SLUICE_CONFIG=$STATE/etc/relay.conf") \
		2>"$STATE/relay.log" 3>&- &
	echo $! >"$STATE/relay.pid"
	wait_for "[ \$(kafka_read events | wc -l) -ge $events ]" 30 ||
		{ cat "$STATE/relay.log"; false; }
	# Every file shipped and deleted.
	wait_for "! ls /var/spool/sluice/*.jsonl >/dev/null 2>&1" 15
	kill -TERM "$(cat "$STATE/relay.pid")"
	wait "$(cat "$STATE/relay.pid")"
	rm -f "$STATE/relay.pid"
	[ "$(kafka_read events | wc -l)" -eq "$events" ]
	[ "$(kafka_read events | jq -r .event_id | grep -c -e '^suite-1$' -e '^suite-r$')" -eq 4 ]
	# Raccoon's raw records, one per server, in their own topic.
	[ "$(kafka_read clickstream-suite-log | tr '\n' ' ')" = "hi hi " ]
}

@test "purge: nothing of the package is left but the spool (and its owner)" {
	[ -n "$DEB" ] || skip "no package was built"
	dpkg -s sluice >/dev/null
	local files
	files=$(dpkg -L sluice | grep -v -e '^/\.$' -e '^/etc$' -e '^/usr$' -e '^/lib$')
	dpkg --purge sluice
	! dpkg -s sluice >/dev/null 2>&1
	local left="" path
	for path in $files /etc/sluice /etc/lighttpd/conf-enabled/20-sluice.conf \
		/etc/apache2/conf-enabled/sluice.conf; do
		# A directory other packages still fill is theirs too.
		[ ! -d "$path" ] || [ -z "$(ls -A "$path")" ] || continue
		[ ! -e "$path" ] && [ ! -L "$path" ] || left+="$path "
	done
	[ -z "$left" ] || { echo "left behind: $left"; false; }
	[ ! -e /etc/systemd/system/sockets.target.wants/sluice-fcgi.socket ]
	[ ! -e /etc/systemd/system/multi-user.target.wants/sluice-relay.service ]
	# Kept: the spool, which may hold records, and the user owning it.
	[ "$(stat -c '%U %a' /var/spool/sluice)" = "sluice 700" ]
	# lighttpd still starts with what is left enabled.
	lighttpd -tt -f "$STATE/lighttpd.conf"
}
