#!/usr/bin/env bash
# Recording-overhead benchmark: what recording accept events costs an accept
# loop running flat out, for accept-rec and two reference tracers.
#
# The load is examples/loadgen.rs on loopback. Configurations run
# interleaved, round-robin (each round runs every one once, starting one
# further along than the round before), and the report gives medians and the
# paired ratio: a traced run's rate over the untraced rate of the same round,
# so the machine's speed swings cancel out. The table goes to stdout and into
# BENCHMARKS.md between <!-- overhead:begin --> and <!-- overhead:end -->.
#
# Needs root. Tunables (environment): ROUNDS (default 5, at least 3),
# CONNECTIONS per run (300000), CLIENTS (4); also SETTLE, seconds a tracer
# gets after attaching (1); QUIET_WAIT, seconds each run may wait for other
# work on the machine to calm down (30); ACCEPT_REC, a prebuilt accept-rec
# to measure instead of this tree's; KEEP_WORK=1 to keep the scratch files.
set -euo pipefail

ROUNDS=${ROUNDS:-5}
CONNECTIONS=${CONNECTIONS:-300000}
CLIENTS=${CLIENTS:-4}
SETTLE=${SETTLE:-1}
QUIET_WAIT=${QUIET_WAIT:-30}
MAX_SECONDS=60    # loadgen's hard cap per run
ATTACH_TIMEOUT=60 # seconds a tracer may take to attach
STOP_TIMEOUT=120  # seconds a tracer may take to finish after SIGINT

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"

CMDLINE="${ACCEPT_REC:+ACCEPT_REC=$ACCEPT_REC }ROUNDS=$ROUNDS CONNECTIONS=$CONNECTIONS CLIENTS=$CLIENTS $0"
(($# == 0)) || die "no arguments; set ROUNDS, CONNECTIONS and CLIENTS in the environment"
for var in ROUNDS CONNECTIONS CLIENTS; do
    [[ ${!var} =~ ^[1-9][0-9]*$ ]] || die "$var must be a positive integer, not '${!var}'"
done
((ROUNDS >= 3)) || die "ROUNDS must be at least 3 for medians and paired ratios to mean anything"
[[ $SETTLE =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "SETTLE must be a number of seconds"
[[ $QUIET_WAIT =~ ^[0-9]+$ ]] || die "QUIET_WAIT must be a whole number of seconds"
((EUID == 0)) || die "needs root to load BPF programs and open perf events (run with sudo)"

CONFIGS=(untraced accept-rec bpftrace perf)
declare -A LABEL=(
    [untraced]="untraced"
    [accept-rec]="accept-rec record"
    [bpftrace]="bpftrace printf to a file"
    [perf]="perf record -e syscalls:sys_exit_accept4 -a"
)
declare -A SKIP=()
# accept-rec's one line on stderr after SIGINT.
SUMMARY_RE='^accept-rec: [0-9]+ events, [0-9]+ dropped, [0-9]+ bytes'
BT_PROG='tracepoint:syscalls:sys_exit_accept4 { printf("%d %s %d\n", pid, comm, args->ret); }'

# ---- setup -----------------------------------------------------------------

ensure_tools() {
    if ! command -v bpftrace >/dev/null || ! perf version >/dev/null 2>&1; then
        log "installing bpftrace and linux-perf"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bpftrace linux-perf >&2
    fi
    command -v bpftrace >/dev/null || die "bpftrace is still missing after apt-get install"
    perf version >/dev/null 2>&1 || die "perf does not run after apt-get install linux-perf"
    # bpftrace finds tracepoints through tracefs, which may not be mounted yet.
    if [[ ! -d /sys/kernel/tracing/events ]]; then
        mount -t tracefs tracefs /sys/kernel/tracing || die "cannot mount tracefs on /sys/kernel/tracing"
    fi
    [[ -d /sys/kernel/tracing/events/syscalls/sys_exit_accept4 ]] ||
        die "no syscalls:sys_exit_accept4 tracepoint; the kernel needs CONFIG_FTRACE_SYSCALLS"
}

build() {
    log "building the load generator and trc_count (release)"
    (cd "$ROOT" && cargo build --release --example loadgen --example trc_count) >&2
    LOADGEN=$ROOT/target/release/examples/loadgen
    TRC_COUNT=$ROOT/target/release/examples/trc_count
    if [[ -z ${ACCEPT_REC:-} ]]; then
        ACCEPT_REC=$ROOT/target/release/accept-rec
        log "building accept-rec (release)"
        if ! (cd "$ROOT" && cargo build --release --bin accept-rec) >&2; then
            SKIP[accept-rec]="skipped: \`cargo build --release --bin accept-rec\` failed"
        fi
    else
        log "measuring ACCEPT_REC=$ACCEPT_REC as it is"
    fi
    local help
    help=$("$ACCEPT_REC" --help 2>&1 || true)
    if [[ -z ${SKIP[accept-rec]:-} ]] && ! grep -qw record <<<"$help"; then
        SKIP[accept-rec]="skipped: this accept-rec has no \`record\` subcommand yet"
    fi
    if [[ -n ${SKIP[accept-rec]:-} ]]; then log "accept-rec ${SKIP[accept-rec]}"; fi
}

CLK_TCK=$(getconf CLK_TCK)
NPROC=$(nproc)

# machine_busy_ticks: user+nice+system ticks of all CPUs (/proc/stat). Interrupt
# time is left out: on loopback most of it is the load's own packets.
machine_busy_ticks() { awk '$1 == "cpu" { print $2 + $3 + $4; exit }' /proc/stat; }

# wait_for_quiet: waits, at most QUIET_WAIT seconds, until other work uses
# under 10% of the machine, since this machine may be shared; notes it if not.
wait_for_quiet() {
    local i b0 b1 busy=0
    ((QUIET_WAIT > 0)) || return 0
    for ((i = 0; i < QUIET_WAIT * 2; i++)); do
        b0=$(machine_busy_ticks)
        sleep 0.5
        b1=$(machine_busy_ticks)
        busy=$((200 * (b1 - b0) / (CLK_TCK * NPROC)))
        ((busy >= 10)) || return 0
    done
    NOTE+="other work kept the machine ${busy}% busy before the run; "
}

# foreign_bpf TRACER_PID: notes BPF programs on accept hooks that belong to
# some other process. One attached to the same tracepoint and returning 0
# silently suppresses perf's samples of it, and any adds to the accept path.
foreign_bpf() {
    command -v bpftool >/dev/null || return 0
    local found
    found=$(bpftool perf list 2>/dev/null | awk -v own="$1" '/accept/ && $2 != own { printf "%s; ", $0 }')
    found="foreign BPF on accept hooks: ${found%; }"
    [[ $found == *": " || $NOTE == *"$found"* ]] || NOTE+="$found; "
}

WORK=$(mktemp -d /tmp/accept-rec-bench.XXXXXX)
RESULTS=$WORK/results.tsv
TRACER_PID=

cleanup() {
    if [[ -n $TRACER_PID ]]; then
        log "stopping tracer $TRACER_PID left running"
        stop_tracer || true
    fi
    if [[ ${KEEP_WORK:-0} == 1 ]]; then log "scratch files kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- one tracer --------------------------------------------------------------

# start_tracer CONFIG OUT: starts the tracer writing to OUT and waits until
# it has attached. SIGINT is reset to its default because a non-interactive
# shell starts background jobs with it ignored.
start_tracer() {
    local config=$1 out=$2 cmd i
    case $config in
    accept-rec) cmd=("$ACCEPT_REC" record -o "$out") ;;
    bpftrace) cmd=(bpftrace -e "$BT_PROG" -o "$out") ;;
    perf) cmd=(perf record -e syscalls:sys_exit_accept4 -a -o "$out") ;;
    esac
    env --default-signal=INT "${cmd[@]}" >"$out.stdout" 2>"$out.stderr" &
    TRACER_PID=$!
    for ((i = 0; i < ATTACH_TIMEOUT * 10; i++)); do
        [[ $(proc_state "$TRACER_PID") =~ ^(Z|X|)$ ]] && return 1
        case $config in
        # accept-rec says so once its programs are attached.
        accept-rec) grep -qs recording "$out.stderr" && break ;;
        # With -o, bpftrace writes "Attaching N probes..." into the file.
        bpftrace) grep -qs Attaching "$out" "$out.stdout" "$out.stderr" && break ;;
        # perf says nothing; it writes the file's header once the events are open.
        perf) [[ -s $out ]] && break ;;
        esac
        sleep 0.1
    done
    ((i < ATTACH_TIMEOUT * 10)) || return 1
    sleep "$SETTLE"
}

# stop_tracer: SIGINT, then waits (bounded) for the tracer to finish. Sets
# STOP_RC to its exit status, or "killed" if it had to be killed. (Not for
# use in $(...): a subshell cannot wait for its parent's children.)
stop_tracer() {
    local pid=$TRACER_PID i
    TRACER_PID='' STOP_RC=0
    kill -INT "$pid" 2>/dev/null || true
    for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
        [[ $(proc_state "$pid") =~ ^(Z|X|)$ ]] && break
        sleep 0.1
    done
    if ((i == STOP_TIMEOUT * 10)); then
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        STOP_RC=killed
        return
    fi
    wait "$pid" || STOP_RC=$?
}

# ---- counting what each tracer recorded ----------------------------------------
# Each sets EVENTS (events in the file, any process), SEEN (the load
# generator's successful accepts in the file), DROPPED (drops the tool itself
# reports) and appends to NOTE.

count_accept_rec() {
    local out=$1 pid=$2 summary counted
    summary=$(grep -E "$SUMMARY_RE" "$out.stderr" || true)
    DROPPED=$(sed -nE 's/^accept-rec: [0-9]+ events, ([0-9]+) dropped.*/\1/p' <<<"$summary" | head -1)
    if counted=$("$TRC_COUNT" "$out" "$pid" 2>>"$out.stderr"); then
        EVENTS=$(kv events "$counted")
        SEEN=$(kv pid_accepts "$counted")
        [[ $(kv ending "$counted") == finished ]] || NOTE+="file ending: $(kv ending "$counted"); "
        if [[ -n $summary ]] && [[ $summary != "accept-rec: $EVENTS events,"* ]]; then
            NOTE+="summary line disagrees with the file's $EVENTS events; "
        fi
    else
        NOTE+="trc_count could not read the file; "
        EVENTS=$(sed -nE 's/^accept-rec: ([0-9]+) events.*/\1/p' <<<"$summary" | head -1)
    fi
}

count_bpftrace() {
    local out=$1 pid=$2 lost
    EVENTS=$(grep -cE '^[0-9]+ .* -?[0-9]+$' "$out" || true)
    SEEN=$(awk -v pid="$pid" '$1 == pid && $NF ~ /^[0-9]+$/ { n++ } END { print n + 0 }' "$out")
    lost=$(cat "$out" "$out.stdout" "$out.stderr" | sed -nE 's/.*Lost ([0-9]+) events.*/\1/p' |
        awk '{ n += $1 } END { print n + 0 }')
    DROPPED=$lost
}

count_perf() {
    local out=$1 pid=$2 stats
    stats=$(perf report -i "$out" --stats 2>/dev/null || true)
    EVENTS=$(awk '/SAMPLE events:/ { print $3; exit }' <<<"$stats")
    # Samples lost, from the tracepoint's own section (the aggregated section
    # counts LOST records, not the samples in them).
    DROPPED=$(awk '/ stats:$/ { section = $1 }
        section == "syscalls:sys_exit_accept4" && /LOST_SAMPLES events:/ { n += $3 }
        END { print n + 0 }' <<<"$stats")
    # The return value is the last field, in hex: 0xffffffff... is -errno.
    SEEN=$(perf script -i "$out" -F pid,trace 2>/dev/null |
        awk -v pid="$pid" '$1 == pid && $NF !~ /^(0xffffffff|-)/ { n++ } END { print n + 0 }')
}

# ---- one run -------------------------------------------------------------------

# run_one ROUND CONFIG: runs the load once under CONFIG and appends one row
# to $RESULTS: round config status rate connections lost events bytes
# bytes/event cpu% rss_kib clean note other% (CPU used by neither the load
# nor the recorder, as % of the machine: other work competing for the cores).
run_one() {
    local round=$1 config=$2 out=$WORK/r$1-$2.out
    local status=ok rate=- conns=- lost=- bytes=- bpe=- cpu=- rss=- clean=- lg rc=0
    local t0 t1 ticks0 ticks1 busy0 busy1 wall pid other=-
    EVENTS=- SEEN=- DROPPED='' NOTE=''
    wait_for_quiet
    if [[ -n ${SKIP[$config]:-} ]]; then
        printf '%s\t%s\tskipped\t-\t-\t-\t-\t-\t-\t-\t-\t-\t%s\t-\n' "$round" "$config" "${SKIP[$config]}" >>"$RESULTS"
        return
    fi
    if [[ $config != untraced ]] && ! start_tracer "$config" "$out"; then
        NOTE="did not attach: $(tail -n 3 "$out.stderr" | tr '\n\t' '  ')"
        [[ -z $TRACER_PID ]] || stop_tracer
        printf '%s\t%s\tfailed\t-\t-\t-\t-\t-\t-\t-\t-\t-\t%s\t-\n' "$round" "$config" "$NOTE" >>"$RESULTS"
        log "round $round $config: $NOTE"
        return
    fi
    ticks0=0 ticks1=0
    if [[ -n $TRACER_PID ]]; then ticks0=$(proc_ticks "$TRACER_PID" || echo 0); fi
    foreign_bpf "${TRACER_PID:-0}"
    busy0=$(machine_busy_ticks)
    t0=$EPOCHREALTIME
    lg=$("$LOADGEN" --connections "$CONNECTIONS" --clients "$CLIENTS" --max-seconds "$MAX_SECONDS") || rc=$?
    t1=$EPOCHREALTIME
    busy1=$(machine_busy_ticks)
    wall=$(calc "$t1 - $t0")
    if [[ -n $TRACER_PID ]]; then
        if ! ticks1=$(proc_ticks "$TRACER_PID") || ! rss=$(proc_hwm_kb "$TRACER_PID"); then
            ticks1=$ticks0 rss=- NOTE+="tracer exited during the run; "
        fi
        foreign_bpf "$TRACER_PID"
    fi
    case $rc in
    0) ;;
    2) NOTE+="load generator cut short; " ;;
    *) status=failed NOTE+="load generator failed (exit $rc); " ;;
    esac
    rate=$(kv rate "$lg" || echo -)
    conns=$(kv connections "$lg" || echo -)
    pid=$(kv server_pid "$lg" || echo 0)
    if lg_cpu=$(kv cpu_seconds "$lg") && [[ $lg_cpu != - ]]; then
        # CPU that neither the load nor the recorder used, as % of the machine.
        other=$(calc "100 * (($busy1 - $busy0 - ($ticks1 - $ticks0)) / $CLK_TCK - $lg_cpu) / ($wall * $NPROC)")
        if [[ $other == -* ]]; then other=0; fi
    fi
    if [[ -n $TRACER_PID ]]; then
        cpu=$(calc "100 * ($ticks1 - $ticks0) / $CLK_TCK / $wall")
        stop_tracer
        rc=$STOP_RC
        case $config:$rc in
        # The contract: exit 0 and exactly one summary line.
        accept-rec:0) if [[ $(grep -cE "$SUMMARY_RE" "$out.stderr") == 1 ]]; then clean=yes; else clean=no; fi ;;
        bpftrace:0) clean=yes ;;
        # perf record finishes the file, then re-raises SIGINT: exit 130.
        perf:0 | perf:130) if grep -q 'Captured and wrote' "$out.stderr"; then clean=yes; else clean=no; fi ;;
        *) clean=no ;;
        esac
        [[ $clean == yes ]] || NOTE+="unclean stop (exit $rc): $(tail -n 2 "$out.stderr" | tr '\n\t' '  '); "
        "count_${config//-/_}" "$out" "$pid"
        EVENTS=${EVENTS:--} SEEN=${SEEN:--}
        bytes=$(stat -c %s "$out" 2>/dev/null || echo 0)
        if [[ $EVENTS =~ ^[1-9][0-9]*$ ]]; then bpe=$(calc "$bytes / $EVENTS"); fi
        # Lost: the tool's own drop count, or the load generator's accepts
        # missing from the file, whichever is larger.
        if [[ $SEEN =~ ^[0-9]+$ && $conns =~ ^[0-9]+$ ]]; then
            lost=$((conns > SEEN ? conns - SEEN : 0))
            ((SEEN <= conns)) || NOTE+="$((SEEN - conns)) more accepts in the file than made; "
        fi
        if [[ ${DROPPED:-} =~ ^[0-9]+$ ]]; then
            if [[ $lost =~ ^[0-9]+$ ]] && ((lost > DROPPED)); then
                NOTE+="$((lost - DROPPED)) accepts missing beyond the $DROPPED the tool reports lost; "
            elif [[ $lost == - ]] || ((DROPPED > lost)); then
                lost=$DROPPED
            fi
        fi
        rm -f "$out"
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$config" "$status" "$rate" \
        "$conns" "$lost" "$EVENTS" "$bytes" "$bpe" "$cpu" "$rss" "$clean" "${NOTE%; }" "$other" >>"$RESULTS"
    log "round $round $config: rate=$rate/s lost=$lost events=$EVENTS bytes/event=$bpe cpu=$cpu% rss=${rss}KiB clean=$clean other=$other% ${NOTE%; }"
}

# ---- main --------------------------------------------------------------------

ensure_tools
build
log "warming up"
"$LOADGEN" --connections $((CONNECTIONS < 50000 ? CONNECTIONS : 50000)) --clients "$CLIENTS" >/dev/null
for ((round = 1; round <= ROUNDS; round++)); do
    for ((k = 0; k < ${#CONFIGS[@]}; k++)); do
        run_one "$round" "${CONFIGS[(round - 1 + k) % ${#CONFIGS[@]}]}"
    done
done

# shellcheck source=bench/report.sh
source "$HERE/report.sh"
BLOCK=$WORK/block.md
render_report >"$BLOCK"
cat "$BLOCK"
write_marked_block "$ROOT/BENCHMARKS.md" "$BLOCK"
log "wrote the table into $ROOT/BENCHMARKS.md"
