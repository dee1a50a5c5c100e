#!/usr/bin/env bash
# Make sure the local PostgreSQL the store tests use is up; start it if it is not.
# The tests fail (they do not skip) when PostgreSQL cannot be reached, unless
# POLICYWATCH_SKIP_POSTGRES=1 is set on purpose.
set -u
host=${POLICYWATCH_TEST_PGHOST:-127.0.0.1}
port=${POLICYWATCH_TEST_PGPORT:-5432}
if [ "${POLICYWATCH_SKIP_POSTGRES:-0}" = "1" ]; then
  echo "POLICYWATCH_SKIP_POSTGRES=1: PostgreSQL tests will be skipped."
  exit 0
fi
if pg_isready -q -h "$host" -p "$port" 2>/dev/null; then
  exit 0
fi
echo "PostgreSQL is not answering on $host:$port; trying to start the local cluster..."
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  for version in $(ls /etc/postgresql); do
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  done
fi
for _ in $(seq 1 30); do
  pg_isready -q -h "$host" -p "$port" 2>/dev/null && { echo "PostgreSQL is up."; exit 0; }
  sleep 1
done
echo "PostgreSQL is still not reachable on $host:$port; the PostgreSQL tests will fail." >&2
exit 0
