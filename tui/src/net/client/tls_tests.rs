//! The https:// channel against a real TLS server (tonic's health service) on
//! 127.0.0.1:0 with a certificate generated here: trusted through `--ca-file`, refused
//! without it (a self-signed certificate is not in the public roots).

use super::channel;
use std::net::SocketAddr;
use tokio_util::sync::CancellationToken;
use tonic::transport::{Identity, Server, ServerTlsConfig};
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

struct TlsServer {
    addr: SocketAddr,
    ca_file: std::path::PathBuf,
    stop: CancellationToken,
    _dir: tempfile::TempDir,
}

async fn start_tls_server() -> TlsServer {
    let generated = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()])
        .expect("generate certificate");
    let cert_pem = generated.cert.pem();
    let key_pem = generated.signing_key.serialize_pem();
    let dir = tempfile::tempdir().expect("temp dir");
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &cert_pem).expect("write CA file");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (_, health) = tonic_health::server::health_reporter();
    let stop = CancellationToken::new();
    let server = Server::builder()
        .tls_config(ServerTlsConfig::new().identity(Identity::from_pem(cert_pem, key_pem)))
        .expect("server TLS")
        .add_service(health)
        .serve_with_incoming_shutdown(
            tonic::transport::server::TcpIncoming::from(listener),
            stop.clone().cancelled_owned(),
        );
    tokio::spawn(server);
    TlsServer {
        addr,
        ca_file,
        stop,
        _dir: dir,
    }
}

#[tokio::test]
async fn an_https_server_is_reached_with_the_ca_file() {
    let server = start_tls_server().await;
    let url = format!("https://{}", server.addr);
    let channel = channel(&url, Some(&server.ca_file)).expect("channel");
    let response = HealthClient::new(channel)
        .check(HealthCheckRequest::default())
        .await
        .expect("health check over TLS");
    assert_eq!(
        response.into_inner().status(),
        tonic_health::pb::health_check_response::ServingStatus::Serving
    );
    server.stop.cancel();
}

#[tokio::test]
async fn a_self_signed_server_is_refused_without_the_ca_file() {
    let server = start_tls_server().await;
    let url = format!("https://{}", server.addr);
    let channel = channel(&url, None).expect("channel");
    let result = HealthClient::new(channel)
        .check(HealthCheckRequest::default())
        .await;
    assert!(result.is_err(), "an untrusted certificate was accepted");
    server.stop.cancel();
}

#[test]
fn a_missing_ca_file_is_reported_with_its_path() {
    let error = channel("https://127.0.0.1:1", Some("/nonexistent/ca.pem".as_ref()))
        .expect_err("missing CA file");
    assert!(format!("{error:#}").contains("/nonexistent/ca.pem"));
}
