//! Building and running the server: the only place that knows about the listener and
//! `Server::builder`. `main` and the tests both go through [`Application`], so the tests
//! run exactly what production runs.

use crate::{
    auth::{AuthInterceptor, secret},
    db::Db,
    delivery::{EventFeed, janitor, presence, replicas, revocations},
    incoming::{self, ConnectionLimits},
    metrics,
    service::{AuthApi, ChatApi, DecodeErrorsLayer, GatewayApi},
    settings::Settings,
    state::AppState,
    tasks::Tasks,
};
use anyhow::Context;
use chat_protocol::{
    FILE_DESCRIPTOR_SET,
    auth::v1::{
        auth_service_server::AuthServiceServer, gateway_service_server::GatewayServiceServer,
    },
    wire::chat_service::chat_service_server::ChatServiceServer,
};
use std::{net::SocketAddr, sync::Arc, time::Duration};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::transport::{Server, ServerTlsConfig};
use tonic_health::{ServingStatus, server::HealthReporter};

pub struct Application {
    state: Arc<AppState>,
    listener: TcpListener,
    tls: Option<ServerTlsConfig>,
}

impl Application {
    /// Connects to the database, applies migrations and resolves the JWT secret. The
    /// listener is bound by the caller (tests bind port 0 and read the port back).
    pub async fn build(settings: Settings, listener: TcpListener) -> anyhow::Result<Self> {
        // Before the database: a wrong certificate path should not wait on migrations.
        let tls = crate::tls::server_config(&settings.server)?;
        crate::service::gateway::check_secret_setting(settings.auth.gateway_secret.expose())?;
        let db = Db::connect(
            settings.database.url.expose(),
            &settings.storage.data_dir,
            settings.database.max_connections,
        )
        .await
        .context("connecting to the database")?;
        db.migrate().await.context("applying migrations")?;
        // A read-only data directory or a full disk: say so now, rather than serve and
        // fail every write.
        db.probe_write()
            .await
            .context("the database does not accept writes (read-only or full?)")?;
        crate::accounts::backfill_name_rules(&db)
            .await
            .context("applying the user-name rules to existing users")?;
        let jwt_secret = secret::for_server(
            settings.auth.jwt_secret.expose(),
            &db,
            &settings.storage.data_dir,
        )
        .await?;
        let state = Arc::new(AppState::new(
            db,
            settings,
            &jwt_secret,
            CancellationToken::new(),
        ));
        Ok(Self {
            state,
            listener,
            tls,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Whether the server speaks TLS (`server.tls_cert` and `server.tls_key` are set).
    pub fn tls(&self) -> bool {
        self.tls.is_some()
    }

    pub fn state(&self) -> Arc<AppState> {
        self.state.clone()
    }

    /// Serves until `shutdown` is cancelled, then drains: health turns NOT_SERVING, every
    /// Subscribe stream ends, and open calls get `shutdown_grace_secs` to finish.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let Self {
            state,
            listener,
            tls,
        } = self;
        let (health, health_service) = tonic_health::server::health_reporter();
        health
            .set_service_status("", ServingStatus::NotServing)
            .await;
        // Both reflection versions (grpcurl and older tools ask v1alpha), describing the
        // health service too, so `grpcurl list` and `describe` show everything served.
        let reflection = || {
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        };
        let reflection_v1 = reflection().build_v1()?;
        let reflection_v1alpha = reflection().build_v1alpha()?;
        let metrics_listener = match state.settings.server.metrics_addr.as_str() {
            "" => None,
            addr => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("binding the metrics endpoint {addr}"))?,
            ),
        };

        let limits = &state.settings.server;
        let auth = AuthServiceServer::new(AuthApi::new(state.clone()))
            .max_decoding_message_size(limits.max_auth_request_bytes);
        let gateway = GatewayServiceServer::new(GatewayApi::new(state.clone()))
            .max_decoding_message_size(limits.max_auth_request_bytes);
        let chat = ChatServiceServer::new(ChatApi::new(state.clone()))
            .max_decoding_message_size(limits.max_chat_request_bytes);
        let chat = tonic::service::interceptor::InterceptedService::new(
            chat,
            AuthInterceptor::new(state.jwt.clone()),
        );
        // The bound address (port 0 in tests becomes the real one), not the configured one.
        let bound = listener.local_addr()?;
        let incoming = incoming::accept(
            listener,
            ConnectionLimits {
                total: limits.max_connections,
                per_ip: limits.max_connections_per_ip,
            }
            .within_descriptor_limit(),
        );

        // Every background task, here and nowhere else, under `state.shutdown`.
        let delivery = &state.delivery;
        delivery.feed.start_at_latest(delivery).await?;
        let mut tasks = Tasks::default();
        tasks.spawn("feed", EventFeed::run(delivery.clone()));
        tasks.spawn("janitor", janitor::run(delivery.clone()));
        tasks.spawn("presence", presence::run(delivery.clone()));
        tasks.spawn("replica listener", replicas::listen(delivery.clone()));
        tasks.spawn("revocation watch", revocations::watch(delivery.clone()));
        tasks.spawn(
            "write health",
            report_write_health(state.clone(), health.clone()),
        );
        {
            let delivery = delivery.clone();
            tasks.spawn("ack flusher", async move {
                delivery.acks.run(&delivery.db, &delivery.shutdown).await;
            });
        }
        {
            let state = state.clone();
            tasks.spawn("checkpointer", async move {
                state.db.run_checkpoints(&state.shutdown).await;
            });
        }
        if let Some(listener) = metrics_listener {
            tracing::info!(addr = ?listener.local_addr().ok(), "metrics at GET /metrics");
            tasks.spawn("metrics endpoint", metrics::serve(listener, state.clone()));
        }
        let grace = Duration::from_secs(state.settings.server.shutdown_grace_secs);
        let drain = {
            let state = state.clone();
            let health = health.clone();
            let shutdown = shutdown.clone();
            async move {
                shutdown.cancelled().await;
                tracing::info!("shutting down");
                crate::systemd::stopping();
                // Streams end (UNAVAILABLE) and the tasks stop; health then says so for
                // good (the write-health task re-checks the token after each change).
                state.shutdown.cancel();
                health
                    .set_service_status("", ServingStatus::NotServing)
                    .await;
                health.set_not_serving::<AuthServiceServer<AuthApi>>().await;
                health
                    .set_not_serving::<GatewayServiceServer<GatewayApi>>()
                    .await;
                health.set_not_serving::<ChatServiceServer<ChatApi>>().await;
            }
        };
        tracing::info!(addr = %bound, "serving");
        crate::systemd::ready(&format!("serving on {bound}"));

        let mut builder = Server::builder();
        if let Some(tls) = tls {
            builder = builder.tls_config(tls).context("configuring TLS")?;
        }
        let server = builder
            .http2_keepalive_interval(Some(Duration::from_secs(
                limits.keepalive_interval_secs.max(1),
            )))
            .http2_keepalive_timeout(Some(Duration::from_secs(
                limits.keepalive_timeout_secs.max(1),
            )))
            .max_concurrent_streams(limits.max_concurrent_streams)
            .http2_max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX))
            .timeout(Duration::from_secs(limits.request_timeout_secs.max(1)))
            .layer(DecodeErrorsLayer)
            .add_service(health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(auth)
            .add_service(gateway)
            .add_service(chat)
            .serve_with_incoming_shutdown(incoming, drain);
        tokio::pin!(server);
        // One deadline for the whole stop: the drain and the tasks share the grace period.
        let stop_by = std::sync::OnceLock::new();
        let deadline = async {
            shutdown.cancelled().await;
            tokio::time::sleep_until(*stop_by.get_or_init(|| tokio::time::Instant::now() + grace))
                .await;
        };
        let result = tokio::select! {
            result = &mut server => result.map_err(anyhow::Error::from),
            () = deadline => {
                tracing::warn!(grace_secs = grace.as_secs(), "drain deadline passed; closing");
                Ok(())
            }
        };
        state.shutdown.cancel();
        // The last acks are written and checkpointed before the process exits; a task
        // still running after the grace period is aborted (or, the committer, left) and
        // named.
        let stop_by = *stop_by.get_or_init(|| tokio::time::Instant::now() + grace);
        let mut late = tasks.join(stop_by).await;
        // Last, the group commit: it has written the final acks; nothing writes after it.
        state.db.stop_writes();
        if tokio::time::timeout_at(stop_by, state.db.writes_stopped())
            .await
            .is_err()
        {
            late.push("group commit");
        }
        if !late.is_empty() {
            tracing::warn!(?late, "background tasks did not stop in time; aborted");
        }
        result
    }
}

/// How often a healthy server checks that its database still answers.
const PING_EVERY: Duration = Duration::from_secs(5);

/// Keeps the health service's answer in step with whether writes commit: NOT_SERVING
/// from the first write that cannot commit, SERVING again once one can. While failing it
/// probes every second, so recovery shows without waiting for a client's write.
async fn report_write_health(state: Arc<AppState>, health: HealthReporter) {
    let shutdown = &state.shutdown;
    let mut changes = state.db.write_health().subscribe();
    loop {
        let committing = *changes.borrow_and_update();
        if shutdown.is_cancelled() {
            return;
        }
        let status = if committing {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        };
        health.set_service_status("", status).await;
        if committing {
            health.set_serving::<AuthServiceServer<AuthApi>>().await;
            health
                .set_serving::<GatewayServiceServer<GatewayApi>>()
                .await;
            health.set_serving::<ChatServiceServer<ChatApi>>().await;
        } else {
            health.set_not_serving::<AuthServiceServer<AuthApi>>().await;
            health
                .set_not_serving::<GatewayServiceServer<GatewayApi>>()
                .await;
            health.set_not_serving::<ChatServiceServer<ChatApi>>().await;
        }
        // The drain may have said NOT_SERVING while this said otherwise: shutdown wins.
        if shutdown.is_cancelled() {
            health
                .set_service_status("", ServingStatus::NotServing)
                .await;
            return;
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            changed = changes.changed() => if changed.is_err() { return },
            () = tokio::time::sleep(Duration::from_secs(1)), if !committing => {
                if let Err(e) = state.db.probe_write().await {
                    tracing::debug!(error = %e, "write probe failed");
                }
            }
            // A database that went away fails nothing until someone writes: ask it.
            () = tokio::time::sleep(PING_EVERY), if committing => {
                if let Err(e) = state.db.ping().await {
                    tracing::warn!(error = %e, "the database does not answer");
                }
            }
        }
    }
}
