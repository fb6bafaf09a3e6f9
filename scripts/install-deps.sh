#!/usr/bin/env bash
# Installs the Debian packages accept-rec needs to build (clang compiles the
# BPF program; libbpf-sys builds against libelf and zlib). Idempotent: does
# nothing when they are all present. Run as root.
set -euo pipefail

packages=(clang libelf-dev zlib1g-dev pkgconf make)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "build packages present: ${packages[*]}"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "missing packages: ${missing[*]}; run this script as root (sudo $0)" >&2
    exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
