#!/usr/bin/env bats
# fuzz.bats - run each libFuzzer target: first its regression inputs,
# then fuzzing from the seed corpus for SLUICE_FUZZ_SECONDS (default 10)
# under ASan + UBSan. Built and run by `make check` in a build configured
# with --enable-fuzzing (CC=clang).
#
# A long run by hand, from the build directory:
#   tests/fuzz/fuzz-request -runs=10000000 CORPUS_DIR SEED_DIR

setup()
{
	: "${SLUICE_BUILDDIR:?run with make check}"
	: "${SLUICE_SRCDIR:=$SLUICE_BUILDDIR}"
	FUZZ_SECONDS=${SLUICE_FUZZ_SECONDS:-10}
	export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
}

# fuzz TARGET: replay tests/fuzz/regress/TARGET, then fuzz a scratch copy
# of tests/fuzz/corpus/TARGET. Fails on any crash, leak or sanitizer
# report; the reproducer is left in $BATS_TEST_TMPDIR and named in the log.
fuzz()
{
	local target=$1 bin="$SLUICE_BUILDDIR/tests/fuzz/$1"
	local seeds="$SLUICE_SRCDIR/tests/fuzz/corpus/${1#fuzz-}"
	local regress="$SLUICE_SRCDIR/tests/fuzz/regress/$1"
	local work="$BATS_TEST_TMPDIR/corpus" log="$BATS_TEST_TMPDIR/fuzz.log"

	[ -x "$bin" ] || { echo "not built: $bin"; return 1; }
	[ -d "$seeds" ] || { echo "no seed corpus: $seeds"; return 1; }
	if [ -d "$regress" ]; then
		run "$bin" "$regress"/*
		[ "$status" -eq 0 ] || { echo "$output" | tail -40; return 1; }
	fi
	mkdir -p "$work"
	cd "$BATS_TEST_TMPDIR"
	run "$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
		-max_len=70000 -print_final_stats=1 -close_fd_mask=1 \
		-artifact_prefix="$BATS_TEST_TMPDIR/" "$work" "$seeds"
	echo "$output" >"$log"
	if [ "$status" -ne 0 ]; then
		grep -v '^#[0-9]' "$log" | tail -60
		return 1
	fi
	# It did fuzz: libFuzzer's final count of executions is there.
	grep -Eq '^stat::number_of_executed_units: *[1-9]' "$log" || {
		tail -20 "$log"
		return 1
	}
	grep -E '^stat::number_of_executed_units' "$log" >&3 || true
}

@test "fuzz-request: CGI variables and body through the whole core" {
	fuzz fuzz-request
}

@test "fuzz-route: any mount path against any method and path" {
	fuzz fuzz-route
}

@test "fuzz-beacon: POST /e bodies and GET /pixel queries" {
	fuzz fuzz-beacon
}

@test "fuzz-clickstream: queries and bodies, JSON, gzip and base64" {
	fuzz fuzz-clickstream
}

@test "fuzz-raccoon: JSON and protobuf SendEventRequests" {
	fuzz fuzz-raccoon
}

@test "fuzz-tracardi: /track and /collect/{type}/{source}" {
	fuzz fuzz-tracardi
}

@test "fuzz-reelevant: datasource segments and bodies" {
	fuzz fuzz-reelevant
}

@test "fuzz-proto: the protobuf reader on any bytes" {
	fuzz fuzz-proto
}

@test "fuzz-segment: Segment calls and batches, any path segment" {
	fuzz fuzz-segment
}

@test "fuzz-snowplow: tp2 bodies and /i queries, base64 and embedded JSON" {
	fuzz fuzz-snowplow
}

@test "fuzz-json: what the single-pass scanner calls plain, the tree parser reads the same" {
	fuzz fuzz-json
}

@test "fuzz-config: the configuration parser" {
	fuzz fuzz-config
}

@test "fuzz-spool-line: the relay's reading of spool lines, round trip" {
	fuzz fuzz-spool-line
}
