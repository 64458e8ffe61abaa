#!/usr/bin/env bats
# The records of a corpus of requests, compared with what they were when
# the corpus was recorded: every format's fuzz seeds, the request seeds,
# and edge cases for the decoders that have a fast road (clickstream,
# beacon, Segment, Snowplow's POST and GET, Raccoon's JSON, Tracardi's
# /track and /collect, Reelevant: each recorded with the tree road
# alone) (tests/corpus/*.req).
# Records are compared parsed, with sorted keys, without the receive
# time, request id or generated UUIDs: a change to how Sluice decodes or
# encodes may change bytes, never meaning.
#
# To record the corpus anew (only when a change of meaning is intended,
# and say so in the commit): SLUICE_CORPUS_WRITE=1 make check
# TESTS=tests/135-corpus.bats, then review the diff of tests/corpus.

load helpers/common
load helpers/corpus

setup()
{
	sl_common_setup
	corpus_config
}

@test "every corpus request makes the records it made when recorded" {
	local f want got failed=0 n=0

	for f in "$SLUICE_SRCDIR"/tests/corpus/*.req; do
		want="${f%.req}.want"
		got=$(corpus_case "$f")
		n=$((n + 1))
		if [ -n "${SLUICE_CORPUS_WRITE:-}" ]; then
			printf '%s\n' "$got" >"$want"
			continue
		fi
		if [ "$got" != "$(cat "$want" 2>/dev/null)" ]; then
			echo "# $(basename "$f"):" >&3
			diff <(cat "$want" 2>/dev/null) <(printf '%s\n' "$got") | head -20 | sed 's/^/#   /' >&3
			failed=$((failed + 1))
		fi
	done
	echo "# $n requests, $failed different" >&3
	[ "$n" -gt 70 ]
	assert_eq "$failed" 0
}
