#!/bin/sh
# Installs what rtwebhookd needs to build, run and test on Debian 12
# (valgrind and clang with its runtime are for `make valgrind`/`make fuzz`;
# python3 runs the small worker scripts of the exec and pipe handler tests).
# The README's quick start and CI (.ci/run) both run this script.
set -eu

packages="
  build-essential cmake pkg-config
  libmicrohttpd-dev libjansson-dev libconfig-dev libssl-dev
  zlib1g-dev libxxhash-dev libsystemd-dev systemd
  libsqlite3-dev sqlite3 libhiredis-dev redis-server libnats-dev nats-server
  nginx-light caddy
  libcmocka-dev libcurl4-openssl-dev curl python3 man-db
  valgrind clang libclang-rt-14-dev
"

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: run as root (sudo scripts/install-deps.sh)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $packages
