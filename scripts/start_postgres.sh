#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on 127.0.0.1 for the store tests and prints its URL.
# Installs Debian's postgresql package when it is missing. Usage: eval "$(scripts/start_postgres.sh)"
set -euo pipefail
port="${PARETOBOT_PG_PORT:-55432}"
dir="${PARETOBOT_PG_DIR:-/tmp/paretobot-pg}"
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin" ]; then
  echo "installing postgresql (Debian package)" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
# initdb refuses to run as root: the server runs as the postgres user, on its own data folder.
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
if ! as_pg "$bin/pg_isready -q -h 127.0.0.1 -p $port"; then
  rm -rf "$dir" && mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  as_pg "$bin/initdb -D $dir/data -A trust -U postgres" >/dev/null
  as_pg "$bin/pg_ctl -D $dir/data -o '-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off' -l $dir/log -w start" >&2
fi
echo "export PARETOBOT_TEST_PG_URL=postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
