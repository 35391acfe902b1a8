//! The server speaks TLS with a configured certificate, and a real TLS client that trusts
//! that certificate reaches the API through it.

use crate::support::{TestCert, start_server};
use chat_protocol::auth::v1::{SignUpRequest, auth_service_client::AuthServiceClient};
use chat_server::settings::Settings;
use tonic::transport::{Certificate, Channel, ClientTlsConfig};
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

async fn tls_channel(addr: std::net::SocketAddr, cert_pem: &str) -> Channel {
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(cert_pem))
        .domain_name("localhost");
    Channel::from_shared(format!("https://{addr}"))
        .expect("uri")
        .tls_config(tls)
        .expect("tls config")
        .connect()
        .await
        .expect("TLS connect")
}

#[tokio::test]
async fn a_tls_client_that_trusts_the_certificate_can_sign_up_and_check_health() {
    let cert = TestCert::generate();
    let server = start_server(Some(&cert)).await;
    let channel = tls_channel(server.addr, &cert.cert_pem).await;

    let health = HealthClient::new(channel.clone())
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("health over TLS");
    assert_eq!(
        health.into_inner().status(),
        tonic_health::pb::health_check_response::ServingStatus::Serving
    );
    let signed_up = AuthServiceClient::new(channel)
        .sign_up(SignUpRequest {
            user_name: "alice".into(),
            password: "correct horse battery".into(),
        })
        .await
        .expect("sign up over TLS");
    assert!(!signed_up.into_inner().user_id.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn a_plaintext_client_cannot_talk_to_a_tls_server() {
    let cert = TestCert::generate();
    let server = start_server(Some(&cert)).await;
    let channel = Channel::from_shared(format!("http://{}", server.addr))
        .expect("uri")
        .connect_lazy();
    let result = HealthClient::new(channel)
        .check(HealthCheckRequest::default())
        .await;
    assert!(result.is_err(), "plaintext got an answer: {result:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_certificate_is_refused() {
    let cert = TestCert::generate();
    let other = TestCert::generate();
    let server = start_server(Some(&cert)).await;
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(&other.cert_pem))
        .domain_name("localhost");
    let result = Channel::from_shared(format!("https://{}", server.addr))
        .expect("uri")
        .tls_config(tls)
        .expect("tls config")
        .connect()
        .await;
    assert!(result.is_err(), "an untrusted certificate was accepted");
    server.stop().await;
}

#[tokio::test]
async fn missing_or_half_tls_settings_fail_at_startup_with_the_setting_named() {
    let mut settings = Settings::defaults().expect("defaults");
    settings.server.tls_cert = "/nonexistent/cert.pem".into();
    let error = chat_server::tls::server_config(&settings.server)
        .expect_err("half-configured TLS is an error")
        .to_string();
    assert!(error.contains("server.tls_key"), "{error}");

    settings.server.tls_key = "/nonexistent/key.pem".into();
    let error = format!(
        "{:#}",
        chat_server::tls::server_config(&settings.server).expect_err("missing files")
    );
    assert!(error.contains("/nonexistent/cert.pem"), "{error}");

    let cert = TestCert::generate();
    settings.server.tls_cert = cert.cert_path.clone();
    settings.server.tls_key = cert.cert_path.clone();
    let error = format!(
        "{:#}",
        chat_server::tls::server_config(&settings.server).expect_err("a certificate is no key")
    );
    assert!(error.contains("private key"), "{error}");
}
