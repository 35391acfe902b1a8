# The human entry points. CI does not use just: `just check` runs exactly what CI runs.
# Install just with `cargo install just` or `pip install rust-just`.

set dotenv-load := false

# The Compose command: `docker compose` (v2 plugin), else the standalone docker-compose.
compose := `docker compose version >/dev/null 2>&1 && echo "docker compose" || echo "docker-compose"`

# List the recipes.
default:
    @just --list

# Build and start the server and PostgreSQL in Docker (needs .env with JWT_SECRET_KEY).
up:
    {{compose}} up -d --build
    @echo "chat-server is starting on port 9000 (CHAT_PORT in .env); connect with: just tui"

# Stop the containers (the volumes, with data and logs, are kept).
down:
    {{compose}} down

# Follow the server's and the database's logs.
logs *args:
    {{compose}} logs -f {{args}}

# Run the server locally on SQLite in ./data (no Docker).
server *args:
    cargo run --release -p chat-server -- {{args}}

# Run the terminal client against a server (default: the one `just up` or `just server` started).
tui server="http://127.0.0.1:9000" *args:
    cargo run --release -p chat-tui -- --server {{server}} {{args}}

# Run the terminal client in a container against the Compose server.
tui-docker:
    {{compose}} --profile tui run --rm tui

# The test suite on SQLite.
test *args:
    cargo test --workspace {{args}}

# The test suite on PostgreSQL (each test creates and drops its own database).
test-pg url="postgres://postgres@127.0.0.1:5432/postgres" *args:
    TEST_DATABASE_URL={{url}} cargo test --workspace {{args}}

# Without arguments: every BENCHMARKS.md scenario, three runs each, and the medians.
# With arguments: the load generator itself, e.g. `just bench --spawn sqlite` or `just bench --help`.
bench *args:
    if [ -z "{{args}}" ]; then bash loadgen/scripts/bench-all.sh; else cargo run --release -p chat-loadgen -- {{args}}; fi

# Database migrations on the configured database: up, down, status.
migrate action="status" *args:
    cargo run --release -p chat-server -- migrate {{action}} {{args}}

# Format every crate.
fmt:
    cargo fmt --all

# Clippy as CI runs it.
lint:
    cargo clippy --workspace --all-targets --locked -- -D warnings

# Exactly what CI runs.
check:
    bash .ci/run
