#!/usr/bin/env bash
# Compile cost of #[derive(ApiError)]: generates a crate with an enum of 200
# variants and measures a clean build and an incremental rebuild (one line of
# the enum's file touched) of
#   A: #[derive(Debug, thiserror::Error)]            (the baseline)
#   B: #[derive(Debug, thiserror::Error, ApiError)]
# in one run, both against the same pre-built dependencies, best of N runs.
#
#     scripts/compile-cost.sh [runs]      (default 3)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3}
work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"' EXIT

gen() { # $1 = crate dir, $2 = derive list
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

best() { # $1 = dir, $2 = mode (clean|incremental)
  local best=""
  for _ in $(seq "$runs"); do
    if [ "$2" = clean ]; then
      (cd "$1" && cargo clean -q -p "$(basename "$1")" 2>/dev/null || true)
    else
      echo "// touched $RANDOM" >> "$1/src/lib.rs"
    fi
    local t0 t1
    t0=$(date +%s.%N)
    (cd "$1" && CARGO_TARGET_DIR="$work/target" cargo build -q) || { echo "build of $1 failed" >&2; exit 1; }
    t1=$(date +%s.%N)
    local t
    t=$(echo "$t1 - $t0" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  echo "$best"
}

gen "$work/baseline" "Debug, thiserror::Error"
gen "$work/apifault" "Debug, thiserror::Error, ApiError"
# Build the dependencies once, so that both measure only their own crate.
(cd "$work/apifault" && CARGO_TARGET_DIR="$work/target" cargo build -q)
(cd "$work/baseline" && CARGO_TARGET_DIR="$work/target" cargo build -q)

clean_a=$(cd "$work" && CARGO_TARGET_DIR="$work/target" best "$work/baseline" clean)
clean_b=$(cd "$work" && CARGO_TARGET_DIR="$work/target" best "$work/apifault" clean)
incr_a=$(best "$work/baseline" incremental)
incr_b=$(best "$work/apifault" incremental)

printf '| build (200 variants, best of %s) | thiserror alone | thiserror + ApiError | ratio | extra |\n' "$runs"
printf '|---|---|---|---|---|\n'
printf '| clean (the crate itself) | %.2f s | %.2f s | %.2fx | +%.2f s |\n' "$clean_a" "$clean_b" "$(echo "$clean_b / $clean_a" | bc -l)" "$(echo "$clean_b - $clean_a" | bc -l)"
printf '| incremental (one line touched) | %.2f s | %.2f s | %.2fx | +%.2f s |\n' "$incr_a" "$incr_b" "$(echo "$incr_b / $incr_a" | bc -l)" "$(echo "$incr_b - $incr_a" | bc -l)"
