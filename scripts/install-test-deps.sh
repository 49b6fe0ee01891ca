#!/bin/sh
# What the test suite needs beyond cargo: a `redis-server` binary (the
# `redis` feature's tests start their own, on a free loopback port).
# Idempotent: does nothing when it is already installed.
set -eu
command -v redis-server >/dev/null || { apt-get update && apt-get install -y redis-server; }
redis-server --version
