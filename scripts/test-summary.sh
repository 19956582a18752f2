#!/usr/bin/env bash
# Sums the <Counters> of the TRX files `make test` leaves in tests/*/TestResults and prints the one
# closing line CI reads: "Tests: N passed, M failed[, K skipped]". Exits non-zero when a test failed
# or when no test ran at all (a broken build must not look green).
set -euo pipefail
files=()
for f in "$@"; do
    if [ -f "$f" ]; then files+=("$f"); fi   # an unmatched glob arrives as its pattern
done
if [ ${#files[@]} -eq 0 ]; then
    echo "Tests: 0 passed, 0 failed"
    echo "test-summary: no TRX results found (did the build fail?)" >&2
    exit 1
fi
# Skipped tests are counted in total but not in executed.
cat "${files[@]}" | grep -o '<Counters [^>]*>' | awk '
    function attr(name) { return match($0, " " name "=\"[0-9]+\"") ? substr($0, RSTART + length(name) + 3, RLENGTH - length(name) - 4) + 0 : 0 }
    { total += attr("total"); executed += attr("executed"); passed += attr("passed")
      failed += attr("failed") + attr("error") + attr("timeout") + attr("aborted") }
    END {
        skipped = total - executed
        line = sprintf("Tests: %d passed, %d failed", passed, failed)
        if (skipped > 0) line = line sprintf(", %d skipped", skipped)
        print line
        exit (failed > 0 || passed == 0) ? 1 : 0
    }'
