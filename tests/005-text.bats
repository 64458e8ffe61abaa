#!/usr/bin/env bats
# The word-at-a-time text routines (UTF-8 check, JSON string escaping)
# against byte-by-byte definitions of the same.

load helpers/common

@test "UTF-8 validation, JSON escaping, integers and base64 agree with their plain definitions" {
	run "$SLUICE_BUILDDIR/tests/helpers/text-check" 100000
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^text-check:\ ([0-9]+)\ inputs\ agreed$ ]]
	# Every byte at every offset of 1..24 bytes alone is 76,800 inputs.
	[ "${BASH_REMATCH[1]}" -gt 176800 ]
}
