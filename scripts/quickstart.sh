#!/usr/bin/env bash
# From a fresh machine to a real capture: install the build packages, build,
# record while making a few loopback connections, then show what was recorded.
# Run as root (BPF needs CAP_BPF and CAP_PERFMON).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cargo build --release --bins --examples

bin=target/release/accept-rec
out=$(mktemp -d)/quickstart.trc
"$bin" record -o "$out" --duration 3s &
recorder=$!
sleep 1
# 20 connections to a loopback listener this script's own load generator opens.
target/release/examples/loadgen --connections 20 --clients 2
wait "$recorder"

echo
echo "== accept-rec info $out"
"$bin" info "$out"
echo
echo "== accept-rec replay $out --comm loadgen-srv"
"$bin" replay "$out" --comm loadgen-srv | head -n 12
