# Shared by scripts/run and scripts/test: dependency install, build, and a
# private PostgreSQL cluster. Source it; it defines functions only.

CERTFERRY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CERTFERRY_BUILD="${CERTFERRY_BUILD_DIR:-$CERTFERRY_ROOT/build}"

# Debian 12 packages the build, the tests and the service need.
CERTFERRY_PACKAGES=(
  build-essential cmake pkg-config ccache git openssl ca-certificates
  libssl-dev libabsl-dev libprotobuf-dev protobuf-compiler
  libgrpc++-dev protobuf-compiler-grpc libpqxx-dev libpq-dev
  libgtest-dev libgmock-dev postgresql postgresql-client nlohmann-json3-dev
  libgoogle-perftools-dev nginx libxlsxwriter-dev libzip-dev libxml2-dev
  libcpp-httplib-dev libcurl4-openssl-dev
  # The ACME tests' CA (pebble, pebble-challtestsrv) and their dns-01 hook.
  pebble curl
)

log() { printf '==> %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs whatever of CERTFERRY_PACKAGES is missing; does nothing (and needs
# no network) when all are present.
install_dependencies() {
  local missing=() pkg
  for pkg in "${CERTFERRY_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
      grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing missing packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y \
      --no-install-recommends "${missing[@]}" ||
    { as_root apt-get update &&
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y \
        --no-install-recommends "${missing[@]}"; }
}

# configure_and_build TARGET...  (no targets: build everything)
configure_and_build() {
  local jobs
  jobs="$(nproc 2>/dev/null || echo 2)"
  mkdir -p "$CERTFERRY_BUILD"
  cmake -S "$CERTFERRY_ROOT" -B "$CERTFERRY_BUILD" -DCMAKE_BUILD_TYPE=Release \
    >"$CERTFERRY_BUILD/configure.log" 2>&1 ||
    { cat "$CERTFERRY_BUILD/configure.log" >&2; return 1; }
  if [ $# -gt 0 ]; then
    local args=() t
    for t in "$@"; do args+=(--target "$t"); done
    cmake --build "$CERTFERRY_BUILD" -j"$jobs" "${args[@]}"
  else
    cmake --build "$CERTFERRY_BUILD" -j"$jobs"
  fi
}

pg_bindir() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -x "$dir/pg_ctl" ] || { echo "PostgreSQL server binaries not found" >&2; return 1; }
  echo "$dir"
}

# PostgreSQL refuses to run as root: as root, run its tools as `postgres`.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_owner() {
  if [ "$(id -u)" -eq 0 ]; then echo postgres; else id -un; fi
}

# pg_start DATA_DIR SOCKET_DIR [extra postgres options]
# Creates the cluster on first use and starts it listening only on a unix
# socket in SOCKET_DIR (no TCP port, so it never collides with another
# PostgreSQL). Creates role and database `certferry` when missing.
pg_start() {
  local data="$1" sock="$2" extra="${3:-}" bin owner
  bin="$(pg_bindir)" || return 1
  owner="$(pg_owner)"
  mkdir -p "$data" "$sock"
  chown "$owner" "$data" "$sock"
  chmod 0700 "$data" "$sock"
  if [ ! -f "$data/PG_VERSION" ]; then
    log "creating PostgreSQL cluster in $data"
    as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 \
      --locale=C.UTF-8 >"$data.initdb.log" 2>&1 ||
      { cat "$data.initdb.log" >&2; return 1; }
  fi
  if as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    log "PostgreSQL already running in $data"
  else
    as_pg "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
      -o "-c listen_addresses='' -k $sock -c unix_socket_permissions=0700 $extra" \
      start >/dev/null || { tail -n 20 "$data/server.log" >&2; return 1; }
  fi
  as_pg "$bin/psql" -h "$sock" -U postgres -d postgres -v ON_ERROR_STOP=1 -q <<'SQL' >/dev/null
SELECT 'CREATE ROLE certferry LOGIN CREATEDB'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'certferry')\gexec
SELECT 'CREATE DATABASE certferry OWNER certferry'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'certferry')\gexec
SQL
}

# pg_stop DATA_DIR
pg_stop() {
  local data="$1" bin
  bin="$(pg_bindir)" || return 0
  [ -f "$data/PG_VERSION" ] || return 0
  as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
}
