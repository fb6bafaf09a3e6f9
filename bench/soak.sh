#!/usr/bin/env bash
# Soak: record steady loopback accept load for DURATION seconds (default
# 600) and show that the recorder's memory stays flat and nothing is lost.
# Prints a markdown table and writes it into BENCHMARKS.md between the soak
# markers. Needs root. Load: loadgen bursts of BURST connections, then a
# pause of PAUSE seconds, repeated (default about half of one core).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-600}
BURST=${BURST:-20000}
PAUSE=${PAUSE:-0.3}
SAMPLE=${SAMPLE:-30}

cargo build --release --bins --examples >/dev/null 2>&1
bin=target/release/accept-rec
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bin" record -o "$work/soak.trc" 2>"$work/rec.err" &
rec=$!
until grep -q "recording to" "$work/rec.err"; do
    kill -0 "$rec" 2>/dev/null || { cat "$work/rec.err" >&2; exit 1; }
    sleep 0.1
done

rss() { awk '/^VmRSS/ {print $2}' "/proc/$rec/status"; }
start=$(date +%s)
next_sample=$start
connections=0
rows=()
while :; do
    now=$(date +%s)
    elapsed=$((now - start))
    if ((now >= next_sample)); then
        rows+=("| $elapsed | $(rss) | $connections |")
        next_sample=$((next_sample + SAMPLE))
    fi
    ((elapsed >= DURATION)) && break
    out=$(target/release/examples/loadgen --connections "$BURST" --clients 2 --max-seconds 30)
    connections=$((connections + $(sed -n 's/.*connections=\([0-9]*\).*/\1/p' <<<"$out")))
    sleep "$PAUSE"
done
peak=$(awk '/^VmHWM/ {print $2}' "/proc/$rec/status")
kill -INT "$rec"
wait "$rec"
summary=$(tail -n 1 "$work/rec.err")
info=$("$bin" info "$work/soak.trc" --format json)
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])" <<<"$info"; }
events=$(field events)
lost=$(field lost)

table=$(
    echo "Soak: \`DURATION=$DURATION BURST=$BURST PAUSE=$PAUSE bench/soak.sh\`, $(date -u +%Y-%m-%dT%H:%MZ), Linux $(uname -r), $(nproc) cores."
    echo
    echo "Result: $connections connections, $events events in the file, $lost lost (kernel drops), recorder peak RSS $peak KiB."
    echo "Recorder's own line: \`$summary\`"
    echo
    echo "| seconds | recorder RSS (KiB) | connections so far |"
    echo "|---:|---:|---:|"
    printf '%s\n' "${rows[@]}"
)
echo "$table"
python3 - "$table" <<'PY'
import pathlib, sys
path = pathlib.Path("BENCHMARKS.md")
text = path.read_text() if path.exists() else "# Benchmarks\n"
begin, end = "<!-- soak:begin -->", "<!-- soak:end -->"
block = f"{begin}\n{sys.argv[1]}\n{end}"
if begin in text and end in text:
    text = text[: text.index(begin)] + block + text[text.index(end) + len(end):]
else:
    text = text.rstrip() + "\n\n## Soak\n\n" + block + "\n"
path.write_text(text)
PY
