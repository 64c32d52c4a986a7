# Shared by the bench/run_* scripts: a durable private PostgreSQL (fsync and
# synchronous_commit on, as in production) in a temporary folder, stopped
# and removed on exit, plus the pgbench baseline. Source after scripts/lib.sh.

bench_tmp=""
bench_server_pid=""

bench_cleanup() {
  if [ -n "$bench_server_pid" ]; then
    kill -TERM "$bench_server_pid" 2>/dev/null && wait "$bench_server_pid" 2>/dev/null
  fi
  [ -n "$bench_tmp" ] && pg_stop "$bench_tmp/pgdata" && rm -rf "$bench_tmp"
  return 0
}

# Sets bench_tmp and bench_dsn.
bench_start_postgres() {
  bench_tmp="$(mktemp -d "${TMPDIR:-/tmp}/certferry-bench.XXXXXX")"
  chmod 0755 "$bench_tmp"
  trap bench_cleanup EXIT
  pg_start "$bench_tmp/pgdata" "$bench_tmp/sock" "-c max_connections=100"
  bench_dsn="host=$bench_tmp/sock dbname=certferry user=certferry"
}

# bench_pgbench_tpcb_like CLIENTS SECONDS: pgbench -N (simple-update:
# 3 updates... 1 durable commit per transaction) on the same database;
# prints its TPS to stdout, its summary to stderr.
bench_pgbench_simple_update() {
  local clients="$1" seconds="$2" bin
  bin="$(pg_bindir)"
  as_pg "$bin/pgbench" -h "$bench_tmp/sock" -U certferry -i -s 10 -q certferry \
    >/dev/null 2>&1
  as_pg "$bin/pgbench" -h "$bench_tmp/sock" -U certferry -n -N -M prepared \
    -c "$clients" -j "$clients" -T "$seconds" certferry >"$bench_tmp/pgbench.txt" 2>&1
  grep -E 'latency average|tps' "$bench_tmp/pgbench.txt" >&2
  awk '/^tps/{print $3; exit}' "$bench_tmp/pgbench.txt"
}

# bench_start_certferryd [FLAGS...]: generates a KEK and starts certferryd on
# a free loopback port against bench_dsn; sets bench_port. Stopped by
# bench_cleanup.
bench_start_certferryd() {
  [ -f "$bench_tmp/kek" ] ||
    "$CERTFERRY_BUILD/app/certferryd" generate-kek "$bench_tmp/kek" 2>/dev/null
  CERTFERRY_DATABASE_URL="$bench_dsn" CERTFERRY_KEK_FILE="$bench_tmp/kek" \
    "$CERTFERRY_BUILD/app/certferryd" serve --listen=127.0.0.1:0 "$@" \
    >"$bench_tmp/server.log" 2>&1 &
  bench_server_pid=$!
  bench_port=""
  for _ in $(seq 1 100); do
    bench_port="$(sed -n 's/.*serving on .* (port \([0-9]*\)).*/\1/p' "$bench_tmp/server.log")"
    [ -n "$bench_port" ] && return 0
    kill -0 "$bench_server_pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$bench_tmp/server.log" >&2
  echo "certferryd did not start" >&2
  return 1
}
