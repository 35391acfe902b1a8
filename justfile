# The human entry points. CI does not use just: `just check` runs exactly what CI runs.
# Install just with `cargo install just` or `pip install rust-just`.

set dotenv-load := false
# Recipes get their arguments as "$@" too, which keeps each one's quoting (nextest filters).
set positional-arguments := true

# The Compose command: `docker compose` (v2 plugin), else the standalone docker-compose.
compose := `docker compose version >/dev/null 2>&1 && echo "docker compose" || echo "docker-compose"`

# List the recipes.
default:
    @just --list

# Build both images, start the server and PostgreSQL in Docker (needs .env with JWT_SECRET_KEY).
up:
    CHAT_BUILD_COMMIT="$(git rev-parse --short=12 HEAD 2>/dev/null || true)" {{compose}} --profile tui build
    {{compose}} up -d
    @port="${CHAT_PORT:-$(sed -n 's/^[[:space:]]*CHAT_PORT[[:space:]]*=[[:space:]]*//p' .env 2>/dev/null | tail -n 1 | tr -d "\"' \r")}"; \
     port="${port:-9000}"; \
     if [ "$port" = 9000 ]; then hint="just tui"; else hint="just tui --server http://127.0.0.1:$port"; fi; \
     echo "chat-server is starting on port $port (CHAT_PORT); connect with: $hint"

# Stop the containers (the volumes, with data and logs, are kept).
down:
    {{compose}} down

# Follow the server's and the database's logs.
logs *args:
    {{compose}} logs -f "$@"

# Run the server locally on SQLite in ./data (no Docker).
server *args:
    cargo run --release -p chat-server -- "$@"

# Run chat-tui with these args; server: --server URL, else SERVER_HOST/PORT, else http://127.0.0.1:9000.
tui *args:
    #!/usr/bin/env bash
    set -euo pipefail
    server=(--server http://127.0.0.1:9000)
    if [ -n "${SERVER_HOST:-}" ]; then server=(); fi
    for arg in "$@"; do
        case "$arg" in --server|--server=*) server=() ;; esac
    done
    exec cargo run --release -p chat-tui -- ${server[@]+"${server[@]}"} "$@"

# Serve the terminal client over ssh on 127.0.0.1:2222 (then: ssh -p 2222 new@127.0.0.1).
ssh *args:
    cargo run --release -p chat-tui -- --server http://127.0.0.1:9000 --data-dir data/ssh-gateway ssh-gateway --listen 127.0.0.1:2222 "$@"

# Run the terminal client in a container against the Compose server (image rebuilt first).
tui-docker:
    #!/usr/bin/env bash
    set -euo pipefail
    # Compose v2 (2.13+) builds with `run --build`; the standalone v1 builds first.
    if [ "{{compose}}" = "docker compose" ]; then
        exec docker compose --profile tui run --build --rm tui
    fi
    docker-compose --profile tui build tui
    exec docker-compose --profile tui run --rm tui

# The test suite on SQLite.
test *args:
    cargo nextest run --workspace "$@"

# The test suite on PostgreSQL (each test creates and drops its own database).
test-pg url="postgres://postgres@127.0.0.1:5432/postgres" *args:
    url="$1"; shift; TEST_DATABASE_URL="$url" cargo nextest run --workspace "$@"

# No args: every BENCHMARKS.md scenario (3 runs, medians); else chat-loadgen, e.g. `just bench --help`.
bench *args:
    if [ $# -eq 0 ]; then bash loadgen/scripts/bench-all.sh; else cargo run --release -p chat-loadgen -- "$@"; fi

# Issue 15's scenarios that `just bench` leaves out, one run each (RUNS=3 for medians): no args = replicas3 replicas1 pg1000 sqlite10000; idle50000 when named.
bench-big *names:
    if [ $# -eq 0 ]; then set -- replicas3 replicas1 pg1000 sqlite10000; fi; RUNS="${RUNS:-1}" bash loadgen/scripts/bench-all.sh "$@"

# No args: the ssh gateway scenario of BENCHMARKS.md (3 runs, medians); else one chat-ssh-bench run, e.g. `just ssh-bench --sessions 50`.
ssh-bench *args:
    if [ $# -eq 0 ]; then bash loadgen/scripts/ssh-bench.sh; else cargo build --release --locked --workspace && target/release/chat-ssh-bench "$@"; fi

# The terminal client with a long history (issue 15): chat-tui-bench, 100,000 messages at 200×60 by default; e.g. `just tui-bench --messages 20000`.
tui-bench *args:
    cargo run --release --locked -p chat-tui --bin chat-tui-bench -- "$@"

# Database migrations on the configured database: up, down, status.
migrate action="status" *args:
    cargo run --release -p chat-server -- migrate "$@"

# Format every crate.
fmt:
    cargo fmt --all

# Clippy as CI runs it.
lint:
    cargo clippy --workspace --all-targets --locked -- -D warnings

# Exactly what CI runs.
check:
    bash .ci/run
