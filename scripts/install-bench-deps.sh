#!/bin/sh
# Installs what `make bench` and `make bench-profile` use beyond the build
# and test dependencies (scripts/install-deps.sh): the load generator, the
# peers it compares against, and the profilers. Not needed for CI: the
# benchmarks are never part of `make test`.
#   wrk             the HTTP load generator (required by make bench)
#   webhook         adnanh/webhook, a peer (optional: skipped when missing)
#   nodejs          the Node.js peer (optional: skipped when missing)
#   valgrind, linux-perf, strace   make bench-profile (each optional)
set -eu

packages="wrk webhook nodejs valgrind linux-perf strace"

if [ "$(id -u)" -ne 0 ]; then
	echo "install-bench-deps.sh: run as root (sudo scripts/install-bench-deps.sh)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $packages
