#!/usr/bin/env bats
# The sluice command and the configuration file.

load helpers/common

setup()
{
	sl_common_setup
}

check()
{
	run "$(sl_bin sluice)" check-config "$CONF"
}

@test "--version prints the version" {
	run "$(sl_bin sluice)" --version
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^sluice\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
}

@test "--help lists the commands" {
	run "$(sl_bin sluice)" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"check-config"* ]]
	[[ "$output" == *"--version"* ]]
}

@test "an unknown command is a usage error" {
	run "$(sl_bin sluice)" frobnicate
	[ "$status" -eq 2 ]
	[[ "$output" == *"usage:"* ]]
}

@test "the shipped sample configuration is valid" {
	run "$(sl_bin sluice)" check-config "$SLUICE_SRCDIR/src/sluice.conf"
	[ "$status" -eq 0 ]
	[[ "$output" == *": ok "* ]]
}

@test "check-config reads SLUICE_CONFIG when no file is named" {
	write_config
	SLUICE_CONFIG="$CONF" run "$(sl_bin sluice)" check-config
	[ "$status" -eq 0 ]
	[[ "$output" == "$CONF: ok"* ]]
}

@test "a minimal configuration is valid" {
	write_config
	check
	[ "$status" -eq 0 ]
	[[ "$output" == *"no kafka: spool only, 1 app(s)"* ]]
}

@test "an unknown key names its file and line" {
	write_config '[spool]' 'dirr = /tmp'
	check
	[ "$status" -eq 1 ]
	assert_eq "$output" "$CONF:5: unknown key 'spool.dirr'"
}

@test "an unknown section names its file and line" {
	write_config '' '[spoolz]'
	check
	[ "$status" -eq 1 ]
	assert_eq "$output" "$CONF:5: unknown section [spoolz]"
}

@test "each kind of bad value is refused with its line" {
	local line
	while IFS='|' read -r section key value want; do
		write_config "[$section]" "$key = $value"
		check
		[ "$status" -eq 1 ] || { echo "accepted $section.$key = $value"; false; }
		[[ "$output" == "$CONF:5: "*"$want"* ]] ||
			{ echo "for $section.$key = $value: $output"; false; }
	done <<'ROWS'
http|max_body|lots|is not a size
http|max_body|2g|is not a size
http|max_body|0|is not a size
http|max_events|0|is not a count
http|max_events|12x|is not a count
http|trusted_proxies|10.0.0.0/33|is not an address or network
http|trusted_proxies|127.0.0.1, example.com|is not an address or network
delivery|ack|maybe|is not queue, kafka or spool
spool|fsync|sometimes|is not never, always or a number of milliseconds
spool|rotate_size|-1|is not a size
kafka|topic|bad topic!|is not a legal Kafka topic name
log|level|loud|is not debug, info, warn or error
routes|clickstream|collect|is not a path starting with '/'
routes|clickstream|/collect, s/c|'s/c' is not a path starting with '/'
routes|clickstream|/collect, /a b|'/a b' is not a path starting with '/'
routes|beacon_pixel|,|needs a path starting with '/', or off
ROWS
}

@test "spool.fsync takes never, always or milliseconds" {
	local v
	for v in never always 250 false true; do
		write_config '[spool]' "fsync = $v"
		check
		[ "$status" -eq 0 ] || { echo "fsync = $v: $output"; false; }
	done
	write_config '[spool]' 'fsync = 0'
	check
	[ "$status" -eq 1 ]
}

@test "a key before any section is refused" {
	printf 'dir = /tmp\n' >"$CONF"
	check
	[ "$status" -eq 1 ]
	assert_eq "$output" "$CONF:1: key 'dir' before any [section]"
}

@test "a line that is not key = value is refused" {
	write_config 'just words'
	check
	[ "$status" -eq 1 ]
	[[ "$output" == "$CONF:4: expected 'key = value'"* ]]
}

@test "an app section needs a well-formed id and may not repeat" {
	write_config '[app]'
	check
	[ "$status" -eq 1 ]
	[[ "$output" == "$CONF:4: [app] needs an id"* ]]
	write_config '[app test_release]'
	check
	[ "$status" -eq 1 ]
	assert_eq "$output" "$CONF:4: duplicate section [app test_release]"
}

@test "a section id follows the rule its adapter applies to requests" {
	# Reelevant's datasource is a path segment: no '.' or ':' there, so
	# a section that no request could reach is refused at load.
	write_config '[datasource shop.eu]'
	check
	[ "$status" -eq 1 ]
	assert_eq "$output" "$CONF:4: [datasource] needs an id of letters, digits, '_', '-' (at most 128), e.g. [datasource my_id]"
	# Apps and sources may have them.
	write_config '[source shop.eu]' '[app shop:web]'
	check
	[ "$status" -eq 0 ]
	# An id of 129 bytes is one too many, for every kind.
	write_config "[source $(printf 'a%.0s' $(seq 129))]"
	check
	[ "$status" -eq 1 ]
	[[ "$output" == "$CONF:4: [source] needs an id"* ]]
}

@test "topic_pattern must hold exactly one %s" {
	write_config '[kafka]' 'topic_pattern = events-%d'
	check
	[ "$status" -eq 1 ]
	[[ "$output" == "$CONF: kafka.topic_pattern must contain exactly one %s"* ]]
}

@test "comments and librdkafka pass-through lines are accepted" {
	write_config '; a comment' '# another' '[kafka]' \
		'brokers = 127.0.0.1:9092   ; inline comment' \
		'librdkafka.linger.ms = 5' '[source web]' '[datasource ds1]'
	check
	[ "$status" -eq 0 ]
	[[ "$output" == *"kafka brokers set"* ]]
}

@test "a missing file is reported with the reason" {
	run "$(sl_bin sluice)" check-config "$BATS_TEST_TMPDIR/nope.conf"
	[ "$status" -eq 1 ]
	assert_eq "$output" "$BATS_TEST_TMPDIR/nope.conf: cannot open: No such file or directory"
}

@test "sluice.cgi with a broken configuration answers 503 and logs why" {
	write_config '[spool]' 'dirr = /tmp'
	SLUICE_CONFIG="$CONF" run "$(sl_bin sluice.cgi)"
	[ "$status" -eq 1 ]
	[[ "$output" == *"Status: 503"* ]]
	[[ "$output" == *"cannot start: $CONF:5: unknown key 'spool.dirr'"* ]]
}
