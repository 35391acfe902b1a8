//! TLS from `server.tls_cert` / `server.tls_key` (PEM files): the server's acceptor, and
//! the healthcheck's client side, which trusts exactly the certificate the server is
//! configured with.
//!
//! Why pin instead of verifying a chain and a name: the healthcheck dials 127.0.0.1,
//! which is rarely a name in the certificate, and a self-signed certificate has no chain.
//! What the probe needs to know is "the process on this port serves *our* certificate and
//! answers", and comparing the leaf certificate byte for byte says exactly that.

use crate::settings::ServerSettings;
use anyhow::{Context, bail};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::path::Path;
use std::sync::Arc;
use tonic::transport::{ClientTlsConfig, Endpoint, Identity, ServerTlsConfig};

/// The configured certificate and key, or `None` for plaintext. Reads and checks the
/// files now, so a wrong path fails at startup with the path in the message.
pub fn server_config(settings: &ServerSettings) -> anyhow::Result<Option<ServerTlsConfig>> {
    let Some((cert, key)) = paths(settings)? else {
        return Ok(None);
    };
    let cert_pem = read(cert, "server.tls_cert")?;
    let key_pem = read(key, "server.tls_key")?;
    // tonic only parses the PEM when the server starts; parse here for a clear error.
    leaf_certificate(&cert_pem).with_context(|| format!("server.tls_cert {}", cert.display()))?;
    rustls::pki_types::PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
        anyhow::anyhow!(
            "server.tls_key {}: no PEM private key found ({e})",
            key.display()
        )
    })?;
    Ok(Some(
        ServerTlsConfig::new().identity(Identity::from_pem(cert_pem, key_pem)),
    ))
}

/// Where to reach the local server: `http://` or, with TLS configured, `https://` with a
/// verifier that accepts only the configured certificate.
pub fn local_endpoint(settings: &ServerSettings) -> anyhow::Result<Endpoint> {
    let Some((cert, _)) = paths(settings)? else {
        return Ok(Endpoint::from_shared(format!(
            "http://127.0.0.1:{}",
            settings.port
        ))?);
    };
    let pem = read(cert, "server.tls_cert")?;
    let leaf = leaf_certificate(&pem).with_context(|| format!("{}", cert.display()))?;
    let endpoint = Endpoint::from_shared(format!("https://127.0.0.1:{}", settings.port))?;
    Ok(endpoint.tls_config_with_verifier(ClientTlsConfig::new(), Arc::new(Pinned::new(leaf)))?)
}

fn paths(settings: &ServerSettings) -> anyhow::Result<Option<(&Path, &Path)>> {
    let cert = settings.tls_cert.as_path();
    let key = settings.tls_key.as_path();
    match (cert.as_os_str().is_empty(), key.as_os_str().is_empty()) {
        (true, true) => Ok(None),
        (false, false) => Ok(Some((cert, key))),
        (false, true) => bail!("server.tls_cert is set but server.tls_key is not: TLS needs both"),
        (true, false) => bail!("server.tls_key is set but server.tls_cert is not: TLS needs both"),
    }
}

fn read(path: &Path, key: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {key} {}", path.display()))
}

/// The first certificate of a PEM chain: the server's own.
fn leaf_certificate(pem: &[u8]) -> anyhow::Result<CertificateDer<'static>> {
    match CertificateDer::pem_slice_iter(pem).next() {
        Some(Ok(cert)) => Ok(cert),
        Some(Err(e)) => bail!("not a PEM certificate: {e}"),
        None => bail!("no PEM certificate found"),
    }
}

/// Accepts one certificate, byte for byte; signatures are still checked, so the peer
/// must hold the matching private key.
#[derive(Debug)]
struct Pinned {
    certificate: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl Pinned {
    fn new(certificate: CertificateDer<'static>) -> Self {
        Self {
            certificate,
            algorithms: rustls::crypto::ring::default_provider().signature_verification_algorithms,
        }
    }
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.certificate.as_ref() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "the server's certificate is not the one in server.tls_cert".into(),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
