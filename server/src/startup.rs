//! Building and running the server: the only place that knows about the listener and
//! `Server::builder`. `main` and the tests both go through [`Application`], so the tests
//! run exactly what production runs.

use crate::{
    auth::{AuthInterceptor, secret},
    db::Db,
    delivery::{EventFeed, janitor, replicas},
    service::{AuthApi, ChatApi},
    settings::Settings,
    state::AppState,
};
use anyhow::Context;
use chat_protocol::{
    FILE_DESCRIPTOR_SET, auth::v1::auth_service_server::AuthServiceServer,
    chat::v1::chat_service_server::ChatServiceServer,
};
use std::{net::SocketAddr, sync::Arc, time::Duration};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::transport::{Server, ServerTlsConfig, server::TcpIncoming};
use tonic_health::ServingStatus;

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
        let jwt_secret = secret::resolve(
            settings.auth.jwt_secret.expose(),
            &settings.storage.data_dir,
        )?;
        let db = Db::connect(
            settings.database.url.expose(),
            &settings.storage.data_dir,
            settings.database.max_connections,
        )
        .await
        .context("connecting to the database")?;
        db.migrate().await.context("applying migrations")?;
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
        let reflection = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
            .build_v1()?;

        let auth = AuthServiceServer::new(AuthApi::new(state.clone()));
        let chat = ChatServiceServer::with_interceptor(
            ChatApi::new(state.clone()),
            AuthInterceptor::new(state.jwt.clone()),
        );
        let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));

        state.feed.start_at_latest(&state).await?;
        let feed = tokio::spawn(EventFeed::run(state.clone()));
        let janitor = tokio::spawn(janitor::run(state.clone()));
        let replicas = tokio::spawn(replicas::listen(state.clone()));
        let acks = {
            let state = state.clone();
            tokio::spawn(async move { state.acks.run(&state.db, &state.shutdown).await })
        };
        let checkpoints = {
            let state = state.clone();
            tokio::spawn(async move { state.db.run_checkpoints(&state.shutdown).await })
        };
        let grace = Duration::from_secs(state.settings.server.shutdown_grace_secs);
        let drain = {
            let state = state.clone();
            let health = health.clone();
            let shutdown = shutdown.clone();
            async move {
                shutdown.cancelled().await;
                tracing::info!("shutting down");
                health
                    .set_service_status("", ServingStatus::NotServing)
                    .await;
                health.set_not_serving::<ChatServiceServer<ChatApi>>().await;
                state.shutdown.cancel();
            }
        };

        health.set_serving::<AuthServiceServer<AuthApi>>().await;
        health.set_serving::<ChatServiceServer<ChatApi>>().await;
        health.set_service_status("", ServingStatus::Serving).await;
        tracing::info!(addr = ?incoming_addr(&state), "serving");

        let mut builder = Server::builder();
        if let Some(tls) = tls {
            builder = builder.tls_config(tls).context("configuring TLS")?;
        }
        let server = builder
            .http2_keepalive_interval(Some(Duration::from_secs(30)))
            .http2_keepalive_timeout(Some(Duration::from_secs(10)))
            .add_service(health_service)
            .add_service(reflection)
            .add_service(auth)
            .add_service(chat)
            .serve_with_incoming_shutdown(incoming, drain);
        tokio::pin!(server);
        let result = tokio::select! {
            result = &mut server => result.map_err(anyhow::Error::from),
            () = async { shutdown.cancelled().await; tokio::time::sleep(grace).await } => {
                tracing::warn!(grace_secs = grace.as_secs(), "drain deadline passed; closing");
                Ok(())
            }
        };
        state.shutdown.cancel();
        janitor.abort();
        feed.abort();
        replicas.abort();
        // The last acks are written before the process exits, then checkpointed.
        let _ = acks.await;
        let _ = checkpoints.await;
        result
    }
}

fn incoming_addr(state: &AppState) -> String {
    state.settings.listen_addr()
}
