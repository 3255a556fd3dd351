#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ and runs each for a bounded time.
#
#   scripts/fuzz.sh                       # every target, FUZZ_SECONDS (60) each
#   FUZZ_SECONDS=600 scripts/fuzz.sh ConditionParser
#   FUZZ_MERGE=1 scripts/fuzz.sh          # afterwards, fold new coverage into Fuzz/Corpus
#
# Each run starts from the committed corpus and the kept crashes (Fuzz/Regressions), works in
# a scratch copy, and fails on the first crash, broken property or input slower than
# FUZZ_TIMEOUT seconds. The crashing input is copied to Fuzz/Regressions/<target>/ so that,
# once fixed, the test suite (FuzzCorpusTests) replays it on every run.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
timeout=${FUZZ_TIMEOUT:-5}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(VarlinkDecoder PlaybookLoader ConditionParser DurationParser)

# The sanitizers come with the Swift toolchain; lld links them (see Fuzz/Package.swift).
swift build --package-path Fuzz -c release -Xswiftc -sanitize=fuzzer,address --scratch-path .build-fuzz
bin=$(swift build --package-path Fuzz -c release --scratch-path .build-fuzz --show-bin-path)

work=$(mktemp -d /tmp/incidentd-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
# Swift's lazily initialised globals live until exit; LeakSanitizer would report them.
export ASAN_OPTIONS=detect_leaks=0:${ASAN_OPTIONS:-}
export SWIFT_BACKTRACE=enable=no

failed=()
printf '%-16s %12s %10s %10s %s\n' target executions exec/s new-inputs result
for target in "${targets[@]}"; do
    mkdir -p "$work/$target" "Fuzz/Regressions/$target"
    log="$work/$target.log"
    status=0
    FUZZ_TARGET=$target "$bin/incidentd-fuzz" "$work/$target" "Fuzz/Corpus/$target" "Fuzz/Regressions/$target" \
        -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb=3072 -print_final_stats=1 \
        -artifact_prefix="$work/$target-" >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    found=$(ls "$work/$target" | wc -l)  # inputs that reached new code this run
    if [ "$status" = 0 ]; then
        result=ok
    else
        result="FAILED (exit $status)"
        failed+=("$target")
        for artifact in "$work/$target"-*; do
            [ -e "$artifact" ] || continue
            cp "$artifact" "Fuzz/Regressions/$target/"
            result="$result, input kept as Fuzz/Regressions/$target/$(basename "$artifact")"
        done
        grep -E 'ERROR|Fatal error|runtime failure|SUMMARY' "$log" | head -n 5 >&2 || true
    fi
    printf '%-16s %12s %10s %10s %s\n' "$target" "${runs:-?}" "${rate:-?}" "$found" "$result"
    if [ "${FUZZ_MERGE:-0}" = 1 ] && [ "$status" = 0 ]; then
        FUZZ_TARGET=$target "$bin/incidentd-fuzz" -merge=1 "Fuzz/Corpus/$target" "$work/$target" >/dev/null 2>&1
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: ${failed[*]} failed; fix the crash, keep the input in Fuzz/Regressions, run make test" >&2
    exit 1
fi
