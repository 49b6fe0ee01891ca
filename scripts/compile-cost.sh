#!/usr/bin/env bash
# Compile cost of #[derive(ApiError)]: generates a crate with an enum of 200
# variants and measures a clean build and an incremental rebuild (one line of
# the enum's file touched) of
#   A: #[derive(Debug, thiserror::Error)]            (the baseline)
#   B: #[derive(Debug, thiserror::Error, ApiError)]
# in one run, both against the same pre-built dependencies, best of N runs.
# Each row gives wall time and CPU time (user + sys of cargo and rustc): on
# a machine other builds share, CPU time is the steadier of the two.
#
# The two crates are named `cost_thiserror` and `cost_apifault`: a crate
# named like one of its dependencies (`apifault`) would be cleaned together
# with it by `cargo clean -p`, and its "clean" build would rebuild apifault.
#
#     scripts/compile-cost.sh [runs]      (default 3)
#     KEEP=1 scripts/compile-cost.sh 1    (keeps the crates, for -Ztime-passes)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3}
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"' EXIT

gen() { # $1 = crate dir (its name is the package's), $2 = derive list
  mkdir -p "$1/src"
  cat > "$1/Cargo.toml" <<TOML
[package]
name = "$(basename "$1")"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
apifault = { path = "$root/runtime", default-features = false, features = ["derive"] }
thiserror = "2"
http = "1"

[workspace]
TOML
  {
    echo "use apifault::ApiError;"
    echo "#[derive($2)]"
    echo "#[api(retry_after = \"Ratelimit-Reset\", request_id = \"X-Request-Id\")]"
    echo "pub enum Big {"
    for i in $(seq 0 199); do
      code=$((400 + i))
      case $((i % 4)) in
        0) echo "    #[error(\"v$i\")] #[api(status = $code)] V$i,";;
        1) echo "    #[error(\"v$i {body}\")] #[api(status = $code)] V$i { #[api(body)] body: String },";;
        2) echo "    #[error(\"v$i\")] #[api(status = $code)] V$i { #[api(request_id)] id: Option<String>, #[api(retry_after)] wait: Option<std::time::Duration> },";;
        3) echo "    #[error(\"v$i {0}\")] #[api(status = $code)] V$i(#[api(status)] u16),";;
      esac
    done
    echo "    #[error(\"other {status}\")] #[api(other)] Other { #[api(status)] status: http::StatusCode, #[api(body)] body: String },"
    echo "}"
  } > "$1/src/lib.rs"
  if [ "$2" = "Debug, thiserror::Error" ]; then
    # Without the derive the #[api] attributes are unknown: strip them.
    sed -i -e 's/#\[api([^]]*)\] //g' -e 's/^#\[api(.*$//' -e 's/^use apifault::ApiError;$//' "$1/src/lib.rs"
  fi
}

best() { # $1 = dir, $2 = mode (clean|incremental); prints "wall cpu", the best of each
  local best_wall="" best_cpu="" times wall cpu
  for _ in $(seq "$runs"); do
    if [ "$2" = clean ]; then
      (cd "$1" && CARGO_TARGET_DIR="$work/target" cargo clean -q -p "$(basename "$1")" 2>/dev/null || true)
    else
      echo "// touched $RANDOM" >> "$1/src/lib.rs"
    fi
    # bash's `time` counts the CPU time of cargo and the rustc it waits for.
    times=$( { TIMEFORMAT='%R %U %S'; time (cd "$1" && CARGO_TARGET_DIR="$work/target" cargo build -q 2>"$work/build.log"); } 2>&1 ) \
      || { echo "build of $1 failed:" >&2; cat "$work/build.log" >&2; exit 1; }
    wall=$(echo "$times" | tail -1 | awk '{print $1}')
    cpu=$(echo "$times" | tail -1 | awk '{print $2 + $3}')
    if [ -z "$best_wall" ] || [ "$(echo "$wall < $best_wall" | bc -l)" = 1 ]; then best_wall=$wall; fi
    if [ -z "$best_cpu" ] || [ "$(echo "$cpu < $best_cpu" | bc -l)" = 1 ]; then best_cpu=$cpu; fi
  done
  echo "$best_wall $best_cpu"
}

gen "$work/cost_thiserror" "Debug, thiserror::Error"
gen "$work/cost_apifault" "Debug, thiserror::Error, ApiError"
# Build the dependencies once, so that both measure only their own crate.
(cd "$work/cost_apifault" && CARGO_TARGET_DIR="$work/target" cargo build -q)
(cd "$work/cost_thiserror" && CARGO_TARGET_DIR="$work/target" cargo build -q)

best "$work/cost_thiserror" clean > "$work/clean_a"
best "$work/cost_apifault" clean > "$work/clean_b"
best "$work/cost_thiserror" incremental > "$work/incr_a"
best "$work/cost_apifault" incremental > "$work/incr_b"
read -r clean_a clean_a_cpu < "$work/clean_a"
read -r clean_b clean_b_cpu < "$work/clean_b"
read -r incr_a incr_a_cpu < "$work/incr_a"
read -r incr_b incr_b_cpu < "$work/incr_b"

row() { # $1 = label, $2 = A, $3 = B
  printf '| %s | %.2f s | %.2f s | %.2fx | +%.2f s |\n' "$1" "$2" "$3" "$(echo "$3 / $2" | bc -l)" "$(echo "$3 - $2" | bc -l)"
}
printf '| build (200 variants, best of %s) | thiserror alone | thiserror + ApiError | ratio | extra |\n' "$runs"
printf '|---|---|---|---|---|\n'
row "clean (the crate itself), wall" "$clean_a" "$clean_b"
row "clean (the crate itself), CPU" "$clean_a_cpu" "$clean_b_cpu"
row "incremental (one line touched), wall" "$incr_a" "$incr_b"
row "incremental (one line touched), CPU" "$incr_a_cpu" "$incr_b_cpu"
