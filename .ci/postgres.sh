#!/usr/bin/env bash
# PostgreSQL for the store and server tests, from Debian's packages (.ci/apt-packages.sh installs
# them). `start` starts the newest installed cluster listening on 127.0.0.1 only (and its Unix
# socket), makes the role and database the tests use when they are missing, and prints the URL the
# tests read from KLPM_TEST_PG. `stop` stops the cluster only when `start` was the one that started it.
# Runs as root: the cluster is managed with Debian's pg_ctlcluster, SQL runs as the postgres user.
set -euo pipefail
role=klpm
password=klpm
database=klpm_test
started_file="${TMPDIR:-/tmp}/klpm-ci-postgres-started"

newest_version() {
  local version
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$version" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  fi
  [ -n "$version" ] || {
    echo "postgres.sh: no PostgreSQL installed (.ci/apt-packages.sh installs postgresql)" >&2
    exit 1
  }
  echo "$version"
}

sql() { # runs one SQL command as the postgres user, printing unaligned tuples only
  runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -At -d postgres -c "$1"
}

case "${1:-start}" in
start)
  version=$(newest_version)
  # a fresh install normally made "main"; make it when the package was told not to
  if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main"' | grep -q .; then
    pg_createcluster "$version" main >&2
  fi
  conf="/etc/postgresql/$version/main/conf.d/klpm-ci.conf"
  if [ ! -f "$conf" ] || ! grep -q "^listen_addresses = '127.0.0.1'" "$conf"; then
    echo "listen_addresses = '127.0.0.1'" >"$conf"
    # a running cluster reads listen_addresses only at start
    if pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
      pg_ctlcluster "$version" main restart >&2
    fi
  fi
  if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
    pg_ctlcluster "$version" main start >&2
    echo "$version" >"$started_file"
  fi
  port=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" { print $3 }')
  for _ in $(seq 1 50); do
    pg_isready -q -h 127.0.0.1 -p "$port" && break
    sleep 0.2
  done
  pg_isready -h 127.0.0.1 -p "$port" >&2
  if [ -z "$(sql "SELECT 1 FROM pg_roles WHERE rolname = '$role'")" ]; then
    sql "CREATE ROLE $role LOGIN PASSWORD '$password'"
  fi
  if [ -z "$(sql "SELECT 1 FROM pg_database WHERE datname = '$database'")" ]; then
    sql "CREATE DATABASE $database OWNER $role"
  fi
  echo "postgres://$role:$password@127.0.0.1:$port/$database"
  ;;
stop)
  if [ -f "$started_file" ]; then
    pg_ctlcluster "$(cat "$started_file")" main stop >&2 || true
    rm -f "$started_file"
  fi
  ;;
*)
  echo "usage: postgres.sh start|stop" >&2
  exit 2
  ;;
esac
