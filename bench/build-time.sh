#!/usr/bin/env bash
# Compile time of the example crate (portcullis-example, lib) against the hand-written twin
# (portcullis-plain-twin), each with its dependencies already built: per repetition
# `cargo clean -p <pkg>` then a timed `cargo build -p <pkg> --lib`. Prints the median per
# crate, the ratio, and the medians per route and per line of code (the example has many more
# routes than the twin).
#
#   bench/build-time.sh            # 5 repetitions, dev profile
#   REPS=3 PROFILE=release bench/build-time.sh
set -euo pipefail

reps=${REPS:-5}
profile=${PROFILE:-dev}
cd "$(dirname "$0")/.."

# Handlers each crate mounts (method + path, and the example's fallback): see README.md.
declare -A routes=([portcullis-example]=19 [portcullis-plain-twin]=2)
# The library's sources (the example's main.rs is its binary, not timed).
declare -A src=([portcullis-example]="examples/src/lib.rs examples/src/model.rs examples/src/routes.rs examples/src/store.rs"
    [portcullis-plain-twin]="bench/plain-twin/src/lib.rs bench/plain-twin/src/auth.rs bench/plain-twin/src/docs.rs bench/plain-twin/src/params.rs")

build() { cargo build -q --profile "$profile" -p "$1" --lib; }

now_ms() { date +%s%3N; }

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

echo "profile $profile, $reps repetitions, $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A med loc
for pkg in portcullis-example portcullis-plain-twin; do
    build "$pkg" # dependencies (and the crate) built once, untimed
    times=()
    for _ in $(seq "$reps"); do
        cargo clean -q --profile "$profile" -p "$pkg"
        start=$(now_ms)
        build "$pkg"
        times+=($(($(now_ms) - start)))
    done
    med[$pkg]=$(printf '%s\n' "${times[@]}" | median)
    # shellcheck disable=SC2086 # a list of paths
    lines=$(cat ${src[$pkg]} | grep -cvE '^\s*(//.*)?$')
    loc[$pkg]=$lines
    printf '%-22s median %6d ms (runs: %s), %4d lines of Rust, %2d routes: %5d ms per route, %4d ms per 100 lines\n' \
        "$pkg" "${med[$pkg]}" "${times[*]}" "$lines" "${routes[$pkg]}" \
        "$((med[$pkg] / routes[$pkg]))" "$((med[$pkg] * 100 / lines))"
done
awk -v e="${med[portcullis-example]}" -v p="${med[portcullis-plain-twin]}" \
    -v re="${routes[portcullis-example]}" -v rp="${routes[portcullis-plain-twin]}" \
    -v le="${loc[portcullis-example]}" -v lp="${loc[portcullis-plain-twin]}" \
    'BEGIN { printf "example / twin: %.2fx whole crate, %.2fx per route, %.2fx per line\n", e / p, (e / re) / (p / rp), (e / le) / (p / lp) }'
