# chat-server (default target) and chat-tui (target `tui`) in small Debian images.
#
#   docker build -t chat-server .            # or: just up
#   docker build -t chat-tui --target tui .
#
# Stages: chef (Rust + cargo-chef) → planner (dependency recipe) → builder (dependencies
# in their own cached layer, then the workspace) → runtime images.

# Bookworm on both sides, so the binary's glibc matches the runtime image.
FROM rust:1-bookworm AS chef
# Pinned, so a new cargo-chef release cannot change (or break) the build unannounced.
RUN cargo install cargo-chef --version 0.1.78 --locked
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
# Dependencies only: this layer is rebuilt only when Cargo.toml/Cargo.lock change. The
# arguments match .ci/release-build.sh (server/tests/deploy/files.rs checks it).
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --locked --release -p chat-server -p chat-tui --recipe-path recipe.json
COPY . .
# The commit `chat-server --version` names (`just up` passes it; .git is not in the context).
ARG CHAT_BUILD_COMMIT=
# The same command CI builds with. The release profile keeps line tables for local
# profiling (`debug = "line-tables-only"`, most of the binary's size); the images drop
# them but keep the symbol table, so `perf` and backtraces still name functions.
RUN bash .ci/release-build.sh \
 && mkdir -p /out \
 && cp target/release/chat-server target/release/chat-tui /out/ \
 && strip --strip-debug /out/chat-server /out/chat-tui

# What the binaries need at run time: glibc (in the base), CA roots for TLS to a
# database or server, and nothing else.
FROM debian:bookworm-slim AS base
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 chat \
 && useradd --system --uid 10001 --gid chat --home-dir /app --shell /usr/sbin/nologin chat \
 && mkdir -p /app/data /app/logs /app/config \
 && chown -R chat:chat /app
WORKDIR /app

FROM base AS tui
COPY --from=builder /out/chat-tui /usr/local/bin/chat-tui
USER chat
ENV CHAT_TUI_DATA_DIR=/app/data
ENTRYPOINT ["chat-tui"]
CMD ["--server", "http://server:9000"]

FROM base AS runtime
COPY --from=builder /out/chat-server /usr/local/bin/chat-server
COPY config/docker.toml /app/config/docker.toml
USER chat
ENV CHAT_ENV=docker
EXPOSE 9000
VOLUME ["/app/data", "/app/logs"]
# The server's own gRPC health service, asked by the server binary itself (TLS-aware).
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["chat-server", "healthcheck"]
ENTRYPOINT ["chat-server"]
CMD ["serve"]
