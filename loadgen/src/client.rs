//! Accounts and sessions, created as a client would: SignUp then SignIn, with bounded
//! parallelism because every one of them is an Argon2 hash on the server.

use anyhow::{Context, Result};
use chat_protocol::{
    auth::v1::{SignInRequest, SignUpRequest, auth_service_client::AuthServiceClient},
    chat::v1::chat_service_client::ChatServiceClient,
};
use futures::{StreamExt, TryStreamExt, stream};
use tonic::{Request, transport::Channel};

const PASSWORD: &str = "loadgen password";

/// One signed-in session and a client on the channel it should use.
#[derive(Clone)]
pub struct Session {
    pub user_name: String,
    pub token: String,
    pub chat: ChatServiceClient<Channel>,
}

impl Session {
    pub fn req<T>(&self, message: T) -> Request<T> {
        authed(message, &self.token)
    }
}

pub use chat_test_support::process::authed;

pub async fn connect(url: &str) -> Result<Channel> {
    Channel::from_shared(url.to_owned())?
        .connect()
        .await
        .with_context(|| format!("connecting to {url}"))
}

/// What to create: `sessions` sign-ins of the user `name` (signed up once), each session
/// talking over `channel`.
pub struct Wanted {
    pub name: String,
    pub sessions: Vec<Channel>,
}

/// Signs every wanted user up and in, `parallelism` requests at a time, and returns the
/// sessions in the order asked for. Each session signs in over its own channel (so with
/// replicas, on its own replica), and each user signs up over its first session's
/// channel (`auth_channel` for a user without sessions).
pub async fn create(
    auth_channel: Channel,
    wanted: Vec<Wanted>,
    parallelism: usize,
) -> Result<Vec<Vec<Session>>> {
    let auth = AuthServiceClient::new(auth_channel);
    let parallelism = parallelism.max(1);
    // Sign-ups first (one hash each), then every sign-in (one hash each).
    stream::iter(wanted.iter().map(|w| {
        let mut auth = w
            .sessions
            .first()
            .map_or_else(|| auth.clone(), |ch| AuthServiceClient::new(ch.clone()));
        let name = w.name.clone();
        async move {
            auth.sign_up(SignUpRequest {
                user_name: name.clone(),
                password: PASSWORD.into(),
            })
            .await
            .with_context(|| format!("signing up {name}"))
        }
    }))
    .buffer_unordered(parallelism)
    .try_collect::<Vec<_>>()
    .await?;
    let logins = wanted.iter().enumerate().flat_map(|(u, w)| {
        w.sessions
            .iter()
            .enumerate()
            .map(move |(s, ch)| (u, s, w.name.clone(), ch.clone()))
    });
    let mut made: Vec<(usize, usize, Session)> = stream::iter(logins.map(|(u, s, name, ch)| {
        let mut auth = AuthServiceClient::new(ch.clone());
        async move {
            let reply = auth
                .sign_in(SignInRequest {
                    user_name: name.clone(),
                    password: PASSWORD.into(),
                })
                .await
                .with_context(|| format!("signing in {name}"))?
                .into_inner();
            Ok::<_, anyhow::Error>((
                u,
                s,
                Session {
                    user_name: name,
                    token: reply.access_token,
                    chat: ChatServiceClient::new(ch),
                },
            ))
        }
    }))
    .buffer_unordered(parallelism)
    .try_collect()
    .await?;
    made.sort_by_key(|(u, s, _)| (*u, *s));
    let mut out: Vec<Vec<Session>> = wanted.iter().map(|_| Vec::new()).collect();
    for (u, _, session) in made {
        out[u].push(session);
    }
    Ok(out)
}
