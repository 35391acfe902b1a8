//! Accounts and sessions, created as a client would: SignUp then SignIn, with bounded
//! parallelism because every one of them is an Argon2 hash on the server. A spawned
//! chat-server trusts chat-loadgen as its ssh gateway: there a user's first session
//! registers an ssh key and the others sign in with it, which hashes nothing, so 50,000
//! sessions of 2,500 users cost 5,000 hashes instead of 52,500.

use anyhow::{Context, Result};
use chat_protocol::{
    auth::v1::{
        AddSshKeyRequest, SignInRequest, SignInResponse, SignInWithSshKeyRequest, SignUpRequest,
        auth_service_client::AuthServiceClient, gateway_service_client::GatewayServiceClient,
    },
    chat::v1::chat_service_client::ChatServiceClient,
};
use futures::{StreamExt, TryStreamExt, stream};
use tonic::{Request, metadata::MetadataValue, transport::Channel};

const PASSWORD: &str = "loadgen password";
/// The public half of a key made for chat-loadgen (the private half was thrown away: the
/// server trusts the gateway to have checked it). One key may belong to many accounts.
const SSH_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKwWcU/bQEA4j4GWGs++kzCTrxfCbK4uJMcUwx+p9B36 loadgen";
/// The metadata the server's gateway service reads (docs/api.md §8).
const GATEWAY_HEADER: &str = "x-chat-gateway-secret";

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
/// channel (`auth_channel` for a user without sessions). With the server's
/// `gateway_secret`, a user's sessions after the first sign in with an ssh key.
pub async fn create(
    auth_channel: Channel,
    wanted: Vec<Wanted>,
    parallelism: usize,
    gateway_secret: Option<&str>,
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
        w.sessions.iter().enumerate().map(move |(s, ch)| Login {
            user: u,
            session: s,
            name: w.name.clone(),
            channel: ch.clone(),
        })
    });
    let (by_password, by_key): (Vec<Login>, Vec<Login>) =
        logins.partition(|l| gateway_secret.is_none() || l.session == 0);
    let mut made = sign_in_all(by_password, parallelism, |login| async move {
        let mut auth = AuthServiceClient::new(login.channel);
        let reply = auth
            .sign_in(SignInRequest {
                user_name: login.name.clone(),
                password: PASSWORD.into(),
            })
            .await
            .with_context(|| format!("signing in {}", login.name))?;
        Ok(reply.into_inner())
    })
    .await?;
    if let Some(secret) = gateway_secret {
        let secret = MetadataValue::try_from(secret).context("the gateway secret")?;
        add_keys(&made, &wanted, &secret, parallelism).await?;
        let with_key = sign_in_all(by_key, parallelism, |login| {
            let secret = secret.clone();
            async move {
                let mut gateway = GatewayServiceClient::new(login.channel);
                let mut request = Request::new(SignInWithSshKeyRequest {
                    user_name: login.name.clone(),
                    public_key: SSH_KEY.into(),
                });
                request.metadata_mut().insert(GATEWAY_HEADER, secret);
                let reply = gateway
                    .sign_in_with_ssh_key(request)
                    .await
                    .with_context(|| format!("signing in {} with a key", login.name))?;
                Ok(reply.into_inner())
            }
        })
        .await?;
        made.extend(with_key);
    }
    made.sort_by_key(|(u, s, _)| (*u, *s));
    let mut out: Vec<Vec<Session>> = wanted.iter().map(|_| Vec::new()).collect();
    for (u, _, session) in made {
        out[u].push(session);
    }
    Ok(out)
}

/// One session to open: the `session`th of wanted user `user`.
struct Login {
    user: usize,
    session: usize,
    name: String,
    channel: Channel,
}

/// Opens the sessions `parallelism` at a time with `sign_in`; returns (user, session,
/// it) in no particular order.
async fn sign_in_all<F, Fut>(
    logins: Vec<Login>,
    parallelism: usize,
    sign_in: F,
) -> Result<Vec<(usize, usize, Session)>>
where
    F: Fn(Login) -> Fut,
    Fut: Future<Output = Result<SignInResponse>>,
{
    stream::iter(logins.into_iter().map(|login| {
        let (u, s, name, channel) = (
            login.user,
            login.session,
            login.name.clone(),
            login.channel.clone(),
        );
        let reply = sign_in(login);
        async move {
            let reply = reply.await?;
            Ok::<_, anyhow::Error>((
                u,
                s,
                Session {
                    user_name: name,
                    token: reply.access_token,
                    chat: ChatServiceClient::new(channel),
                },
            ))
        }
    }))
    .buffer_unordered(parallelism)
    .try_collect()
    .await
}

/// Registers [`SSH_KEY`] for the user of each first session.
async fn add_keys(
    first_sessions: &[(usize, usize, Session)],
    wanted: &[Wanted],
    secret: &MetadataValue<tonic::metadata::Ascii>,
    parallelism: usize,
) -> Result<()> {
    stream::iter(first_sessions.iter().map(|(u, s, session)| {
        let mut gateway = GatewayServiceClient::new(wanted[*u].sessions[*s].clone());
        let mut request = session.req(AddSshKeyRequest {
            public_key: SSH_KEY.into(),
            comment: String::new(),
        });
        request
            .metadata_mut()
            .insert(GATEWAY_HEADER, secret.clone());
        async move {
            gateway
                .add_ssh_key(request)
                .await
                .with_context(|| format!("adding an ssh key for {}", session.user_name))
        }
    }))
    .buffer_unordered(parallelism)
    .try_collect::<Vec<_>>()
    .await?;
    Ok(())
}
