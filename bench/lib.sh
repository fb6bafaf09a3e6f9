# shellcheck shell=bash
# Helpers for bench/run.sh: logging, /proc readings, medians, and the
# markers-delimited block in BENCHMARKS.md. Sourced, never run.

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
    printf 'bench: error: %s\n' "$*" >&2
    exit 1
}

# kv KEY LINE: the value of KEY=value in a line of key=value words.
kv() {
    local key=$1 word
    for word in $2; do
        if [[ $word == "$key="* ]]; then
            printf '%s\n' "${word#*=}"
            return 0
        fi
    done
    return 1
}

# proc_ticks PID: utime+stime of the whole process, in clock ticks. The comm
# field may hold spaces, so fields are counted after its closing paren.
proc_ticks() {
    local stat rest fields
    stat=$(<"/proc/$1/stat") || return 1
    rest=${stat##*) }
    read -ra fields <<<"$rest"
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    printf '%s\n' $((fields[11] + fields[12]))
}

# proc_state PID: the one-letter state, or nothing once the process is gone.
proc_state() {
    local stat rest
    { stat=$(<"/proc/$1/stat"); } 2>/dev/null || return 0
    rest=${stat##*) }
    printf '%s\n' "${rest%% *}"
}

# proc_hwm_kb PID: peak resident set size (VmHWM) in KiB.
proc_hwm_kb() {
    awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}

# median: the median of the numbers on stdin, or "-" when there are none.
median() {
    sort -g | awk '{ v[NR] = $1 }
        END {
            if (NR == 0) { print "-"; exit }
            if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2
        }'
}

# min_max: "min–max" of the numbers on stdin, or "-".
min_max() {
    sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { if (NR) printf "%s–%s\n", lo, hi; else print "-" }'
}

# fmt NUMBER PRINTF-FORMAT: formats a number, passing "-" through.
fmt() {
    if [[ $1 == - ]]; then printf -- '-\n'; else awk -v x="$1" -v f="$2" 'BEGIN { printf f "\n", x }'; fi
}

# calc EXPRESSION: floating-point arithmetic through awk.
calc() { awk "BEGIN { print $1 }"; }

# write_marked_block FILE BLOCK-FILE [NAME]: puts the block between the
# <!-- NAME:begin --> and <!-- NAME:end --> markers of FILE (NAME defaults to
# overhead), replacing what was there; appends the markers when FILE lacks
# them; creates FILE when missing. Other content is left intact.
write_marked_block() {
    local file=$1 block=$2 name=${3:-overhead} begin end tmp
    begin="<!-- $name:begin -->"
    end="<!-- $name:end -->"
    tmp=$(mktemp "$file.XXXXXX")
    if [[ -f $file ]] && grep -qxF "$begin" "$file" && grep -qxF "$end" "$file"; then
        awk -v begin="$begin" -v end="$end" -v block="$block" '
            $0 == begin { print; while ((getline line < block) > 0) print line; skip = 1; next }
            $0 == end { skip = 0 }
            !skip { print }' "$file" >"$tmp"
    else
        if [[ -f $file ]]; then
            cat "$file" >"$tmp"
            printf '\n' >>"$tmp"
        else
            printf '# Benchmarks\n\n' >"$tmp"
        fi
        { printf '%s\n' "$begin"; cat "$block"; printf '%s\n' "$end"; } >>"$tmp"
    fi
    chmod 644 "$tmp"
    mv "$tmp" "$file"
}
