//! The tonic services: thin adapters from requests to the rules in `accounts`, `chat`
//! and `delivery`, each call inside [`observe::call`] for its span and log line.

pub mod auth;
pub mod chat;
pub mod decode_errors;
pub mod gateway;
pub mod observe;

pub use auth::AuthApi;
pub use chat::ChatApi;
pub use decode_errors::DecodeErrorsLayer;
pub use gateway::GatewayApi;
