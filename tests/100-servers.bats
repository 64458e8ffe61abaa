#!/usr/bin/env bats
# The same request suite through every server setup the repo ships:
# lighttpd spawning sluice.fcgi, lighttpd in front of spawn-fcgi,
# lighttpd running sluice.cgi, Apache with mod_fcgid, Apache proxying to
# a spawn-fcgi pool and Apache running sluice.cgi, each started from
# lighttpd-conf/ or apache-conf/.

load helpers/common
load helpers/lighttpd
load helpers/apache
load helpers/suite

teardown()
{
	lighttpd_stop
	[ -z "${APACHE_DIR:-}" ] || { apache_stop; rm -rf "$APACHE_DIR"; }
}

lighttpd_suite()
{
	local state="$BATS_TEST_TMPDIR/lighttpd"
	mkdir -p "$state"
	suite_config "$state/sluice.conf" "$state/spool"
	lighttpd_start "$state" 2 "$1"
	request_suite "$LIGHTTPD_URL" "$state/spool"
	lighttpd_stop
	no_sanitizer_report "$state/sluice.log"
	[ ! -f "$state/spawn.log" ] || no_sanitizer_report "$state/spawn.log"
}

apache_suite()
{
	local state
	state=$(apache_dir)
	suite_config "$state/sluice.conf" "$state/spool"
	apache_start "$state" "$1"
	request_suite "$APACHE_URL" "$state/spool"
	apache_stop
	no_sanitizer_report "$state/error.log"
	[ ! -f "$state/pool.log" ] || no_sanitizer_report "$state/pool.log"
}

@test "lighttpd mod_fastcgi spawning sluice.fcgi (bin-path)" {
	lighttpd_suite fastcgi
}

@test "lighttpd mod_fastcgi in front of spawn-fcgi" {
	lighttpd_suite spawn
}

@test "lighttpd mod_cgi running sluice.cgi" {
	lighttpd_suite cgi
}

@test "Apache 2.4 with mod_fcgid" {
	apache_suite fcgid
}

@test "Apache 2.4 with mod_proxy_fcgi to a spawn-fcgi pool" {
	apache_suite proxy-fcgi
}

@test "Apache 2.4 with mod_cgid running sluice.cgi" {
	apache_suite cgi
}
