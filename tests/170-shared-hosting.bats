#!/usr/bin/env bats
# The shared-hosting recipe: a real Apache configured as such a host (a
# user's document root with AllowOverride FileInfo Options, mod_rewrite,
# CGI; no Sluice in the server's configuration), the account laid out as
# apache-conf/sluice.htaccess says, the request suite through it, and
# the crontab line of the recipe shipping the spool to the mock cluster.

load helpers/common
load helpers/apache
load helpers/kafka
load helpers/suite

setup()
{
	command -v apache2 >/dev/null || skip "Apache is not installed (Debian: apache2)"
	[ "$(id -u)" -eq 0 ] || skip "starts Apache with its children as www-data: needs root"
	# The account: what the CGI program runs as, and its cron job too.
	HOME_DIR=$(mktemp -d /tmp/sluice-home.XXXXXX)
	mkdir -p "$HOME_DIR/public_html" "$HOME_DIR/sluice"
	cp "$(sl_bin sluice.cgi)" "$HOME_DIR/public_html/"
	cp "$(sl_bin sluice)" "$HOME_DIR/sluice/"
	sed "s|HOME|$HOME_DIR|g" "$SLUICE_SRCDIR/apache-conf/sluice.htaccess" \
		>"$HOME_DIR/public_html/.htaccess"
	suite_config "$HOME_DIR/sluice/sluice.conf" "$HOME_DIR/sluice/spool"
	chown -R www-data: "$HOME_DIR"
	chmod 755 "$HOME_DIR"
}

teardown()
{
	# What Apache said, when a test failed.
	[ -n "${BATS_TEST_COMPLETED:-}" ] || cat "$HOME_DIR/host/error.log" 2>/dev/null || true
	host_stop
	[ -z "${KAFKA_PID:-}" ] || kafka_stop
	rm -rf "$HOME_DIR"
}

# The host's own configuration: nothing of Sluice in it.
host_start()
{
	local dir="$HOME_DIR/host"

	mkdir -p "$dir"
	cat >"$dir/httpd.conf" <<CONF
ServerRoot "$dir"
ServerName 127.0.0.1
Listen 127.0.0.1:$1
PidFile "$dir/httpd.pid"
ErrorLog "$dir/error.log"
LogLevel warn
User www-data
Group www-data
LoadModule mpm_event_module $APACHE_MODULES/mod_mpm_event.so
LoadModule authz_core_module $APACHE_MODULES/mod_authz_core.so
LoadModule mime_module $APACHE_MODULES/mod_mime.so
LoadModule env_module $APACHE_MODULES/mod_env.so
LoadModule rewrite_module $APACHE_MODULES/mod_rewrite.so
LoadModule cgid_module $APACHE_MODULES/mod_cgid.so
ScriptSock "$dir/cgid.sock"
TypesConfig /etc/mime.types
DocumentRoot "$HOME_DIR/public_html"
<Directory />
	AllowOverride None
	Require all denied
</Directory>
# As hosts with mod_rewrite have it: symbolic links of the owner only.
<Directory "$HOME_DIR/public_html">
	Options SymLinksIfOwnerMatch
	AllowOverride FileInfo Options
	Require all granted
</Directory>
<Files ".ht*">
	Require all denied
</Files>
CONF
	: >"$dir/error.log"
	chown -R www-data: "$dir"
	apache2 -f "$dir/httpd.conf" -k start 3>&- 2>"$dir/start.err" || true
	URL="http://127.0.0.1:$1"
}

host_stop()
{
	apache_kill "$HOME_DIR/host/httpd.conf" "$HOME_DIR/host/httpd.pid"
}

@test "shared hosting: .htaccess runs sluice.cgi for the collectors' paths; the request suite passes" {
	on_free_port host_start host_stop /health "$HOME_DIR/host/error.log" \
		"$HOME_DIR/host/start.err" ||
		{ cat "$HOME_DIR/host/error.log" "$HOME_DIR/host/start.err"; false; }
	request_suite "$URL" "$HOME_DIR/sluice/spool"
	# The rest of the site is served as before.
	echo page >"$HOME_DIR/public_html/index.html"
	[ "$(http "$URL/index.html")" = 200 ]
	[ "$(cat "$HTTP_BODY")" = page ]
	no_sanitizer_report "$HOME_DIR/host/error.log"
}

@test "shared hosting: the recipe serves neither .htaccess nor a configuration or spool put in the document root" {
	on_free_port host_start host_stop /health "$HOME_DIR/host/error.log" \
		"$HOME_DIR/host/start.err"
	mkdir -p "$HOME_DIR/public_html/spool"
	echo "token = s3cret" >"$HOME_DIR/public_html/sluice.conf"
	echo '{"record":1}' >"$HOME_DIR/public_html/spool/current.jsonl"
	echo "a line" >"$HOME_DIR/public_html/relay.log"
	chown -R www-data: "$HOME_DIR/public_html"
	[ "$(http "$URL/.htaccess")" = 403 ]
	[ "$(http "$URL/sluice.conf")" = 403 ]
	[ "$(http "$URL/spool/current.jsonl")" = 403 ]
	[ "$(http "$URL/relay.log")" = 403 ]
	! grep -q s3cret "$HTTP_BODY"
	# The program itself, asked for by name, answers as Sluice (no route).
	[ "$(http "$URL/sluice.cgi")" = 404 ]
	# Its bytes are never sent.
	! grep -q ELF "$HTTP_BODY"
}

@test "shared hosting: the recipe's crontab line ships the spool to Kafka" {
	on_free_port host_start host_stop /health "$HOME_DIR/host/error.log" \
		"$HOME_DIR/host/start.err"
	[ "$(http "$URL/collect?appId=test_release" -H 'Content-Type: application/json' \
		--data '[{"event_type":"t","event_id":"cron-1","timestamp":1667877566697,"app_id":"test_release"}]')" = 200 ]
	[ "$(http "$URL/pixel?tv001=cron-2")" = 200 ]
	assert_eq "$(spool_dir_values "$HOME_DIR/sluice/spool" events | wc -l)" 2
	kafka_start "$BATS_TEST_TMPDIR/kafka"
	printf '[kafka]\nbrokers = %s\n' "$KAFKA_BOOTSTRAP" >>"$HOME_DIR/sluice/sluice.conf"
	# The command of the recipe's crontab line, run as cron would: as
	# the account, from a shell.
	local line cmd
	line=$(sed -n 's/^# crontab: //p' "$SLUICE_SRCDIR/apache-conf/sluice.htaccess")
	[ -n "$line" ]
	cmd=$(echo "$line" | sed "s|HOME|$HOME_DIR|g" | cut -d' ' -f6-)
	su -s /bin/sh www-data -c "$cmd"
	grep -q 'relay' "$HOME_DIR/sluice/relay.log"
	assert_eq "$(kafka_read events | wc -l)" 2
	assert_eq "$(kafka_read events | jq -r .event_id | grep -c '^cron-1$')" 1
	assert_eq "$(kafka_read events | jq -r 'select(.protocol == "beacon") | tostring' | grep -c cron-2)" 1
	# Shipped files are gone; nothing is left to ship.
	! ls "$HOME_DIR"/sluice/spool/*.jsonl 2>/dev/null
}
