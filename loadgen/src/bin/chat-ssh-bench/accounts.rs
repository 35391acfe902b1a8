//! The accounts of a run, made over gRPC as any client makes them: the session users
//! are only signed up (the gateway signs them in with their password, as `ssh` would),
//! the poster is signed in here. Bounded parallelism: each is an Argon2 hash.

use anyhow::{Context, Result};
use chat_protocol::auth::v1::{
    SignInRequest, SignUpRequest, auth_service_client::AuthServiceClient,
};
use futures::{StreamExt, TryStreamExt, stream};
use tonic::transport::Channel;

/// Every account's password.
pub const PASSWORD: &str = "ssh bench password";

/// The ssh user of session `i`.
pub fn session_user(i: usize) -> String {
    format!("ssh{i}")
}

pub const POSTER: &str = "poster";

pub async fn sign_up(channel: &Channel, names: &[String], parallelism: usize) -> Result<()> {
    let auth = AuthServiceClient::new(channel.clone());
    stream::iter(names.iter().map(|name| {
        let mut auth = auth.clone();
        async move {
            auth.sign_up(SignUpRequest {
                user_name: name.clone(),
                password: PASSWORD.into(),
            })
            .await
            .with_context(|| format!("signing up {name}"))
        }
    }))
    .buffer_unordered(parallelism.max(1))
    .try_collect::<Vec<_>>()
    .await?;
    Ok(())
}

/// Signs `name` in; its access token.
pub async fn sign_in(channel: &Channel, name: &str) -> Result<String> {
    Ok(AuthServiceClient::new(channel.clone())
        .sign_in(SignInRequest {
            user_name: name.into(),
            password: PASSWORD.into(),
        })
        .await
        .with_context(|| format!("signing in {name}"))?
        .into_inner()
        .access_token)
}
