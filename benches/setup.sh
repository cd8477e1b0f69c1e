#!/usr/bin/env bash
# Installs what the benchmarks drive, each only when missing: wrk and
# redis-server (Debian packages), perf for profiles (linux-perf), and oha
# (crates.io) for the open-loop target, so no target is skipped for want
# of a tool. Run once on a fresh machine: bash benches/setup.sh
set -euo pipefail
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v perf >/dev/null || missing+=(linux-perf)
if [ ${#missing[@]} -gt 0 ]; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi
export PATH="$PATH:$HOME/.cargo/bin"
command -v oha >/dev/null || cargo install --locked oha
echo "bench tools: $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), $(oha --version), $(redis-server --version | cut -d' ' -f1-3)"
