#!/usr/bin/env bash
# A/B of the hit path: two guestlist binaries side by side, driven by wrk in
# alternated rounds, so a noisy neighbour on a shared machine hurts both
# alike. For each route, each round gives the ratio B/A of requests per
# second; the median of the rounds is the figure (BENCHMARKS.md).
#
#   benches/ab.sh OLD_BINARY NEW_BINARY [ROUNDS] [SECONDS]
#
# Each binary gets its own data folder with one minted token. Routes: GET /
# (nothing checked), GET /need_login and GET /api/v1/verify with the cached
# token. Needs wrk (Debian: apt-get install wrk).
#
# FLOOR=target/release/examples/floor (cargo build --release --example
# floor: the load bench's bare warp route) adds the floor to every round:
# each route of A and of B is then also a ratio to it, from the same rounds.
#
# AB_STORE_A / AB_STORE_B: a `--store` URL for that side (a shared Redis;
# GUESTLIST_SECRET must then be set), to compare a Redis-backed node with
# an embedded one.
set -euo pipefail
A=$1 B=$2 ROUNDS=${3:-7} SECS=${4:-3}
command -v wrk >/dev/null || { echo "ab.sh: wrk is not installed" >&2; exit 1; }
WORK=$(mktemp -d)
# The servers' pids go to a file: start() runs in a subshell ($(...)).
trap 'kill $(cat "$WORK/pids" 2>/dev/null) 2>/dev/null || true; rm -rf "$WORK"' EXIT

start() { # name binary -> prints base URL; token in $WORK/name.token
    local name=$1 bin=$2 dir=$WORK/$1
    mkdir -p "$dir"
    local args=(--data-dir "$dir")
    [ -n "${3:-}" ] && args+=(--store "$3")  # older binaries lack --store
    "$bin" "${args[@]}" reset-db --yes >/dev/null
    "$bin" "${args[@]}" tokens mint --count 1 --out "$WORK/$name.token" 2>/dev/null
    "$bin" "${args[@]}" --listen 127.0.0.1:0 serve >"$WORK/$name.out" 2>/dev/null &
    echo $! >>"$WORK/pids"
    for _ in $(seq 100); do
        grep -q '^listening on ' "$WORK/$name.out" 2>/dev/null && break
        sleep 0.05
    done
    sed -n 's/^listening on //p' "$WORK/$name.out"
}

cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # utime + stime, clock ticks

rate() { # url token pid -> "requests/s server-CPU-µs/request"
    local before after
    before=$(cpu "$3")
    wrk -t1 -c64 -d"${SECS}s" -H "Authorization: Bearer $2" "$1" >"$WORK/wrk.out"
    after=$(cpu "$3")
    awk -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" '
        / requests in / { n = $1 } /^Requests\/sec:/ { r = $2 }
        END { printf "%s %.2f\n", r, ticks * 1e6 / hz / n }' "$WORK/wrk.out"
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

URL_A=$(start a "$A" "${AB_STORE_A:-}")
URL_B=$(start b "$B" "${AB_STORE_B:-}")
URL_F=
if [ -n "${FLOOR:-}" ]; then
    "$FLOOR" >"$WORK/floor.out" &
    echo $! >>"$WORK/pids"
    for _ in $(seq 100); do
        grep -q '^listening on ' "$WORK/floor.out" 2>/dev/null && break
        sleep 0.05
    done
    URL_F=$(sed -n 's/^listening on //p' "$WORK/floor.out")
fi
TOKEN_A=$(cat "$WORK/a.token")
TOKEN_B=$(cat "$WORK/b.token")
read -r PID_A PID_B PID_F <<<"$(tr '\n' ' ' <"$WORK/pids")"
for path in / /need_login /api/v1/verify; do  # warm-up, fills the caches
    rate "$URL_A$path" "$TOKEN_A" "$PID_A" >/dev/null
    rate "$URL_B$path" "$TOKEN_B" "$PID_B" >/dev/null
done
printf '%-16s %s\n' route "B/A per round (then the median; A and B req/s medians; server CPU µs per request, medians)"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
for path in / /need_login /api/v1/verify; do
    ratios=() as=() bs=() afs=() bfs=() acpu=() bcpu=()
    for round in $(seq "$ROUNDS"); do
        if ((round % 2)); then
            read -r a ca <<<"$(rate "$URL_A$path" "$TOKEN_A" "$PID_A")"
            read -r b cb <<<"$(rate "$URL_B$path" "$TOKEN_B" "$PID_B")"
        else
            read -r b cb <<<"$(rate "$URL_B$path" "$TOKEN_B" "$PID_B")"
            read -r a ca <<<"$(rate "$URL_A$path" "$TOKEN_A" "$PID_A")"
        fi
        ratios+=("$(ratio "$b" "$a")")
        as+=("$a") bs+=("$b") acpu+=("$ca") bcpu+=("$cb")
        if [ -n "$URL_F" ]; then
            read -r f _ <<<"$(rate "$URL_F/" "$TOKEN_A" "$PID_F")"
            afs+=("$(ratio "$a" "$f")") bfs+=("$(ratio "$b" "$f")")
        fi
    done
    med=$(printf '%s\n' "${ratios[@]}" | median)
    ma=$(printf '%s\n' "${as[@]}" | median)
    mb=$(printf '%s\n' "${bs[@]}" | median)
    mca=$(printf '%s\n' "${acpu[@]}" | median)
    mcb=$(printf '%s\n' "${bcpu[@]}" | median)
    printf '%-16s %s -> median %s (A %.0f/s, B %.0f/s; CPU A %s µs, B %s µs)\n' "$path" "${ratios[*]}" "$med" "$ma" "$mb" "$mca" "$mcb"
    if [ -n "$URL_F" ]; then
        printf '%-16s A/floor %s -> median %s\n' "" "${afs[*]}" "$(printf '%s\n' "${afs[@]}" | median)"
        printf '%-16s B/floor %s -> median %s\n' "" "${bfs[*]}" "$(printf '%s\n' "${bfs[@]}" | median)"
    fi
done
