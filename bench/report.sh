# shellcheck shell=bash
# The markdown report of bench/run.sh, built from its per-run results file
# ($RESULTS, one tab-separated row per run; columns in run_one). Sourced,
# never run.

# col CONFIG N: column N of CONFIG's successful runs, one value a line.
col() {
    awk -F'\t' -v c="$1" -v n="$2" '$2 == c && $3 == "ok" && $n != "-" { print $n }' "$RESULTS"
}

# paired_ratios CONFIG: rate / untraced rate of the same round, per round.
paired_ratios() {
    awk -F'\t' -v c="$1" '
        $3 == "ok" && $2 == "untraced" { base[$1] = $4 }
        $3 == "ok" && $2 == c { rate[$1] = $4 }
        END { for (r in rate) if (r in base && base[r] > 0) printf "%.3f\n", rate[r] / base[r] }' "$RESULTS"
}

summary_row() {
    local config=$1 runs ok skipped ratio lost clean rss
    runs=$(awk -F'\t' -v c="$config" '$2 == c' "$RESULTS" | wc -l)
    ok=$(col "$config" 4 | wc -l)
    skipped=$(awk -F'\t' -v c="$config" '$2 == c && $3 == "skipped" { print $13; exit }' "$RESULTS")
    if [[ -n $skipped ]]; then
        printf '| %s | %s | – | – | – | – | – | – | – | – |\n' "${LABEL[$config]}" "$skipped"
        return
    fi
    if [[ $config == untraced ]]; then
        printf '| %s | %s/%s | %s | 1 | – | – | – | – | – | %s |\n' "${LABEL[$config]}" "$ok" "$runs" \
            "$(fmt "$(col "$config" 4 | median)" %.0f)" "$(fmt "$(col "$config" 14 | median)" %.0f)"
        return
    fi
    ratio="$(fmt "$(paired_ratios "$config" | median)" %.2f) ($(paired_ratios "$config" | min_max))"
    lost="$(col "$config" 6 | median) (max $(col "$config" 6 | sort -g | tail -n 1))"
    clean=$(awk -F'\t' -v c="$config" '$2 == c && $12 == "yes"' "$RESULTS" | wc -l)
    rss=$(col "$config" 11 | median)
    if [[ $rss != - ]]; then rss=$(calc "$rss / 1024"); fi
    printf '| %s | %s/%s | %s | %s | %s | %s | %s | %s | %s/%s | %s |\n' "${LABEL[$config]}" "$ok" "$runs" \
        "$(fmt "$(col "$config" 4 | median)" %.0f)" "$ratio" "$lost" \
        "$(fmt "$(col "$config" 9 | median)" %.1f)" "$(fmt "$(col "$config" 10 | median)" %.1f)" \
        "$(fmt "$rss" '%.1f MiB')" "$clean" "$runs" "$(fmt "$(col "$config" 14 | median)" %.0f)"
}

# shellcheck disable=SC2016 # the backticks are markdown, not command substitution
render_report() {
    local config
    printf '## Recording overhead\n\n'
    printf 'Command: `%s`  \n' "$CMDLINE"
    printf 'Date: %s · Kernel: `%s` · nproc: %s · %s connections per run, %s client threads\n\n' \
        "$(date -u '+%Y-%m-%d %H:%M UTC')" "$(uname -r)" "$(nproc)" "$CONNECTIONS" "$CLIENTS"
    local busy
    busy=$(awk -F'\t' '$3 == "ok" && $14 != "-" && $14 > 10 { n++ } END { print n + 0 }' "$RESULTS")
    if ((busy > 0)); then
        printf '**Warning: in %s of the runs, other work on the machine used over 10%% of it (see "other\n' "$busy"
        printf 'load"); rates and ratios from those runs measure the contention as much as the tracer.**\n\n'
    fi
    printf '| configuration | runs ok | accepts/s (median) | paired ratio, median (min–max) '
    printf '| events lost, median (max) | bytes/event | recorder CPU, %% of a core | recorder peak RSS '
    printf '| clean stops | other load, %% of machine |\n'
    printf '|---|---|---|---|---|---|---|---|---|---|\n'
    for config in "${CONFIGS[@]}"; do summary_row "$config"; done
    cat <<'EOF'

- **Paired ratio**: a traced run's accept rate over the untraced rate of the same round; median over the
  rounds. Rounds run every configuration once, interleaved, so the machine's speed swings cancel out.
- **Events lost**: the larger of the tool's own drop count and the load generator's successful accepts
  missing from the output file (bpftrace: lines of its pid; perf: `perf script` samples of its pid;
  accept-rec: `socket_accept` events of its pid, counted by `examples/trc_count`).
- **Bytes/event**: output file size over the events counted in the file (every process's, every kind).
- **Recorder CPU**: utime+stime of the recorder process (`/proc/PID/stat`) over the load's wall time. The
  BPF program itself runs in the accepting thread, so its cost shows in the ratio, not here.
- **Peak RSS**: `VmHWM` of the recorder just before SIGINT. **Clean stop**: it exited by itself after
  SIGINT with a finished file (perf re-raises SIGINT after writing, so its exit status 130 counts as clean).
- **Other load**: CPU time (`/proc/stat` user+nice+system) used by neither the load generator nor the
  recorder during the run, as % of all cores (median). Anything above a few % means other work competed for
  the cores and the run's numbers are suspect.
EOF
    if awk -F'\t' '$13 != "" && $3 != "skipped" { found = 1 } END { exit !found }' "$RESULTS"; then
        printf '\nNotes from the runs:\n\n'
        awk -F'\t' '$13 != "" && $3 != "skipped" { printf "- round %s, %s: %s\n", $1, $2, $13 }' "$RESULTS"
    fi
    printf '\n<details><summary>Every run</summary>\n\n'
    printf '| round | configuration | status | accepts/s | connections | lost | events in file | bytes '
    printf '| bytes/event | CPU %% | peak RSS KiB | clean | other load %% |\n'
    printf '|---|---|---|---|---|---|---|---|---|---|---|---|---|\n'
    sort -t$'\t' -k1,1n -s "$RESULTS" | awk -F'\t' '{
        printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
            $1, $2, $3, $4, $5, $6, $7, $8, ($9 == "-" ? "-" : sprintf("%.1f", $9)),
            ($10 == "-" ? "-" : sprintf("%.1f", $10)), $11, $12, ($14 == "-" ? "-" : sprintf("%.0f", $14)) }'
    printf '\n</details>\n'
}
