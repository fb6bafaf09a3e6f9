#!/usr/bin/env bash
# The report is markdown: backticks in single quotes are meant literally.
# shellcheck disable=SC2016
# Offline benchmark: how fast accept-rec reads a large recording back.
#
# Makes a synthetic 10M-event recording with examples/synth.rs (once; kept
# in /tmp), then times, interleaved round-robin over ROUNDS rounds:
#   summary --threads 1, summary --threads 2, replay --format json,
#   a time-range replay of the last 1% of the recording, and filter --comm.
# Each run's wall time, CPU time (user+sys), peak RSS (/usr/bin/time %M)
# and the blocks it decoded are kept; the report gives medians. The table
# goes to stdout and into BENCHMARKS.md between <!-- replay:begin --> and
# <!-- replay:end -->.
#
# Tunables (environment): ROUNDS (default 5, at least 3); EVENTS (10000000)
# and SEED (1) of the synthetic file; TRC, the recording to read (default
# /tmp/accept-rec-synth-EVENTS-SEED.trc, made when missing); ACCEPT_REC, a
# prebuilt accept-rec to measure instead of this tree's; BASELINE, a second
# accept-rec binary to run side by side with the first (every measurement
# twice per round, interleaved; the report adds the paired speedup);
# NO_WRITE=1 to leave BENCHMARKS.md alone.
set -euo pipefail

ROUNDS=${ROUNDS:-5}
EVENTS=${EVENTS:-10000000}
SEED=${SEED:-1}
TRC=${TRC:-/tmp/accept-rec-synth-$EVENTS-$SEED.trc}
BASELINE=${BASELINE:-}
# Targets (the issue): summary events/s on one thread, the 2-thread speedup,
# JSON lines/s, the share of blocks a last-1% query may decode, peak RSS.
SUMMARY_TARGET=10000000
SPEEDUP_TARGET=1.7
JSON_TARGET=1000000
RANGE_BLOCKS_PCT=2
RSS_TARGET_MIB=64

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"

CMDLINE="${ACCEPT_REC:+ACCEPT_REC=$ACCEPT_REC }${BASELINE:+BASELINE=$BASELINE }ROUNDS=$ROUNDS EVENTS=$EVENTS SEED=$SEED bench/replay.sh"
(($# == 0)) || die "no arguments; set ROUNDS, EVENTS, SEED, TRC, ACCEPT_REC or BASELINE in the environment"
for var in ROUNDS EVENTS SEED; do
    [[ ${!var} =~ ^[0-9]+$ ]] || die "$var must be a whole number, not '${!var}'"
done
((ROUNDS >= 3)) || die "ROUNDS must be at least 3 for medians to mean anything"
[[ -z $BASELINE || -x $BASELINE ]] || die "BASELINE=$BASELINE is not an executable"

WORK=$(mktemp -d /tmp/accept-rec-replay.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
RESULTS=$WORK/results.tsv

# ---- setup -----------------------------------------------------------------

if [[ ! -x /usr/bin/time ]]; then
    log "installing Debian's time package for /usr/bin/time"
    apt-get install -y -qq time >/dev/null || die "cannot install the time package; install it and rerun"
fi

log "building release"
(cd "$ROOT" && cargo build --release --quiet --bin accept-rec --example synth) || die "cargo build failed"
BIN=${ACCEPT_REC:-$ROOT/target/release/accept-rec}
[[ -x $BIN ]] || die "ACCEPT_REC=$BIN is not an executable"

if [[ ! -f $TRC ]]; then
    log "writing $EVENTS synthetic events (seed $SEED) to $TRC"
    "$ROOT/target/release/examples/synth" "$TRC.partial" "$EVENTS" "$SEED"
    mv "$TRC.partial" "$TRC"
fi

# One untimed summary warms the page cache and gives the event count and time span.
"$BIN" summary --format json --threads 1 "$TRC" >"$WORK/summary.json"
TOTAL=$(jq '.totals.events' "$WORK/summary.json")
FIRST_NS=$(jq '.span.first_ns' "$WORK/summary.json")
LAST_NS=$(jq '.span.last_ns' "$WORK/summary.json")
((TOTAL > 0)) || die "$TRC holds no events"

# rfc3339 NS: ns since the epoch as RFC 3339 UTC with nanoseconds.
rfc3339() { printf '%s.%09dZ\n' "$(date -u -d "@$(($1 / 1000000000))" +%Y-%m-%dT%H:%M:%S)" $(($1 % 1000000000)); }
SINCE=$(rfc3339 $((FIRST_NS + (LAST_NS - FIRST_NS) * 99 / 100)))
UNTIL=$(rfc3339 "$LAST_NS")

CONFIGS=(summary-1 summary-2 replay-json range filter)
declare -A LABEL=(
    [summary-1]="summary, 1 thread"
    [summary-2]="summary, 2 threads"
    [replay-json]="replay --format json"
    [range]="replay, last 1% (--since/--until)"
    [filter]="filter --comm nginx"
)
declare -A ARGS=(
    [summary-1]="summary --format json --threads 1 --scan-stats $TRC"
    [summary-2]="summary --format json --threads 2 --scan-stats $TRC"
    [replay-json]="replay --format json --scan-stats $TRC"
    [range]="replay --format json --scan-stats --since $SINCE --until $UNTIL $TRC"
    [filter]="filter $TRC -o $WORK/filtered.trc --force --comm nginx"
)
BINS=(new)
declare -A BIN_OF=([new]=$BIN)
if [[ -n $BASELINE ]]; then
    BINS+=(base)
    BIN_OF[base]=$BASELINE
fi

# ---- one run ---------------------------------------------------------------

# run_one ROUND CONFIG WHICH: appends one row to $RESULTS:
# round config which wall_s cpu_s rss_kib blocks_decoded blocks_total matched load1
run_one() {
    local round=$1 config=$2 which=$3 load t0 t1 wall cpu rss err=$WORK/stderr times=$WORK/time
    local decoded=- total=- matched=- line
    local -a args
    read -ra args <<<"${ARGS[$config]}" # word lists; no value holds spaces
    read -r load _ </proc/loadavg
    t0=$(date +%s%N)
    if ! /usr/bin/time -o "$times" -f '%U %S %M' "${BIN_OF[$which]}" "${args[@]}" >/dev/null 2>"$err"; then
        die "$which $config failed: $(tail -n 3 "$err")"
    fi
    t1=$(date +%s%N)
    wall=$(calc "($t1 - $t0) / 1e9")
    read -r user sys rss <"$times"
    cpu=$(calc "$user + $sys")
    # "decoded 6 of 611 blocks (skipped 605), 98304 events decoded, 91234 matched"
    # or filter's "wrote 91234 of 10000000 events to F (decoded 611 blocks, skipped 0)"
    line=$(grep -E 'decoded [0-9]+ (of [0-9]+ )?blocks' "$err" | tail -n 1 || true)
    if [[ $line =~ decoded\ ([0-9]+)\ of\ ([0-9]+)\ blocks.*\ ([0-9]+)\ matched ]]; then
        decoded=${BASH_REMATCH[1]} total=${BASH_REMATCH[2]} matched=${BASH_REMATCH[3]}
    elif [[ $line =~ wrote\ ([0-9]+)\ of.*decoded\ ([0-9]+)\ blocks,\ skipped\ ([0-9]+) ]]; then
        matched=${BASH_REMATCH[1]} decoded=${BASH_REMATCH[2]} total=$((BASH_REMATCH[2] + BASH_REMATCH[3]))
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$config" "$which" "$wall" "$cpu" "$rss" \
        "$decoded" "$total" "$matched" "$load" >>"$RESULTS"
    log "round $round: $which $config: ${wall}s wall, ${cpu}s CPU, $((rss / 1024)) MiB, blocks $decoded/$total, load $load"
}

# ---- the rounds --------------------------------------------------------------

UPTIME_BEFORE=$(uptime)
log "$UPTIME_BEFORE"
RUNS=()
for config in "${CONFIGS[@]}"; do
    for which in "${BINS[@]}"; do RUNS+=("$config $which"); done
done
for ((round = 1; round <= ROUNDS; round++)); do
    # Each round starts one further along, so no configuration always runs first.
    for ((i = 0; i < ${#RUNS[@]}; i++)); do
        read -r config which <<<"${RUNS[(i + round - 1) % ${#RUNS[@]}]}"
        run_one "$round" "$config" "$which"
    done
done
UPTIME_AFTER=$(uptime)

# ---- report ------------------------------------------------------------------

# col CONFIG WHICH N: column N of CONFIG's runs with binary WHICH, one value a line.
col() { awk -F'\t' -v c="$1" -v w="$2" -v n="$3" '$2 == c && $3 == w && $n != "-" { print $n }' "$RESULTS"; }
# rate CONFIG WHICH N: events (N=matched: column 9; else TOTAL) per wall second, per run.
rate() {
    awk -F'\t' -v c="$1" -v w="$2" -v total="$TOTAL" -v per="$3" '$2 == c && $3 == w {
        n = ($9 != "-" && c == "range") ? $9 : total; print n / $per }' "$RESULTS"
}
# paired CONFIG A B: per round, wall time of config A over wall time of config B (binaries WA, WB).
paired() {
    awk -F'\t' -v a="$1" -v wa="$2" -v b="$3" -v wb="$4" '
        $2 == a && $3 == wa { x[$1] = $4 } $2 == b && $3 == wb { y[$1] = $4 }
        END { for (r in x) if (r in y && x[r] > 0) printf "%.3f\n", y[r] / x[r] }' "$RESULTS"
}
mib() { if [[ $1 == - ]]; then echo -; else calc "$1 / 1024" | xargs printf '%.1f\n'; fi; }

report_row() {
    local config=$1 which=$2 eps cpu_eps blocks total decoded rss_med rss_max target ratio load
    eps=$(rate "$config" "$which" 4 | median)
    cpu_eps=$(rate "$config" "$which" 5 | median)
    decoded=$(col "$config" "$which" 7 | median)
    total=$(col "$config" "$which" 8 | median)
    blocks="$decoded / $total"
    [[ $decoded == - ]] || blocks="$blocks ($(fmt "$(calc "100 * $decoded / $total")" %.1f)%)"
    rss_med=$(mib "$(col "$config" "$which" 6 | median)")
    rss_max=$(mib "$(col "$config" "$which" 6 | sort -g | tail -n 1)")
    load=$(col "$config" "$which" 10 | median)
    case $config in
        summary-1)
            target="≥ $SUMMARY_TARGET ev/s"
            ratio=$(fmt "$(calc "$eps / $SUMMARY_TARGET")" %.2f)
            ;;
        summary-2)
            local speedup
            speedup=$(paired summary-2 "$which" summary-1 "$which" | median)
            target="≥ ${SPEEDUP_TARGET}× 1 thread"
            ratio="$(fmt "$speedup" %.2f)× 1 thread → $(fmt "$(calc "$speedup / $SPEEDUP_TARGET")" %.2f)"
            ;;
        replay-json)
            target="≥ $JSON_TARGET lines/s"
            ratio=$(fmt "$(calc "$eps / $JSON_TARGET")" %.2f)
            ;;
        range)
            target="≤ $RANGE_BLOCKS_PCT% of blocks"
            ratio=$(fmt "$(calc "$RANGE_BLOCKS_PCT * $total / 100 / $decoded")" %.2f)
            ;;
        *) target="–" ratio="–" ;;
    esac
    local rss_note=""
    if [[ $config != filter && $rss_max != - ]] && awk -v a="$rss_max" -v b="$RSS_TARGET_MIB" 'BEGIN { exit !(a > b) }'; then
        rss_note=" (over $RSS_TARGET_MIB)"
    fi
    local name=${LABEL[$config]}
    [[ -z $BASELINE ]] || name="$name [$which]"
    printf '| %s | %s | %s | %s | %s | %s | %s / %s%s | %s |\n' "$name" "$(fmt "$eps" %.0f)" "$target" "$ratio" \
        "$(fmt "$cpu_eps" %.0f)" "$blocks" "$rss_med" "$rss_max" "$rss_note" "$load"
}

BLOCK=$WORK/block.md
{
    printf '## Reading recordings back (offline)\n\n'
    printf 'Command: `%s`  \n' "$CMDLINE"
    printf 'Date: %s · Kernel: `%s` · nproc: %s · %s rounds, interleaved  \n' "$(date -u '+%Y-%m-%d %H:%M UTC')" \
        "$(uname -r)" "$(nproc)" "$ROUNDS"
    printf 'Recording: `%s`, %s events, %s bytes, %s blocks (synthetic, `examples/synth.rs` seed %s)  \n' \
        "$TRC" "$TOTAL" "$(stat -c %s "$TRC")" "$(col summary-1 new 8 | head -n 1)" "$SEED"
    printf 'Load before: `%s`  \n' "$(xargs <<<"$UPTIME_BEFORE")"
    printf 'Load after: `%s`\n\n' "$(xargs <<<"$UPTIME_AFTER")"
    printf '| measurement | events/s (wall, median) | target | ratio to target | events per CPU-second | blocks decoded | peak RSS MiB (median / max) | load avg 1 min |\n'
    printf '|---|---|---|---|---|---|---|---|\n'
    for config in "${CONFIGS[@]}"; do
        for which in "${BINS[@]}"; do report_row "$config" "$which"; done
    done
    printf '\n'
    printf -- '- **events/s**: events in the file over wall time (the range query: events printed over wall time);\n'
    printf -- '  **events per CPU-second**: the same over user+sys time, which other work on a shared machine disturbs less.\n'
    printf -- '- replay and filter have no thread option: they run on one thread.\n'
    printf -- '- **peak RSS**: `/usr/bin/time -f %%M` (maximum resident set size, file pages included).\n'
    printf -- '- **load avg**: `/proc/loadavg` just before each run; on this 2-core machine anything above ~1 means\n'
    printf -- '  other work competed for the cores, which lowers wall-clock rates and above all the 2-thread speedup.\n'
    if [[ -n $BASELINE ]]; then
        printf '\nPaired speedup of `new` over `base` (base wall time / new wall time, per round; median):\n\n'
        for config in "${CONFIGS[@]}"; do
            printf -- '- %s: %s×\n' "${LABEL[$config]}" "$(fmt "$(paired "$config" new "$config" base | median)" %.2f)"
        done
    fi
    printf '\n<details><summary>Every run</summary>\n\n'
    printf '| round | measurement | binary | wall s | CPU s | peak RSS KiB | blocks decoded | blocks | matched | load |\n'
    printf '|---|---|---|---|---|---|---|---|---|---|\n'
    awk -F'\t' '{ printf "| %s | %s | %s | %.3f | %.2f | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 }' "$RESULTS"
    printf '\n</details>\n'
} >"$BLOCK"

cat "$BLOCK"
if [[ -z ${NO_WRITE:-} ]]; then
    write_marked_block "$ROOT/BENCHMARKS.md" "$BLOCK" replay
    log "wrote the table into $ROOT/BENCHMARKS.md"
fi
