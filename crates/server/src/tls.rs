//! Native TLS (`--tls-cert`, `--tls-key`): rustls with the ring provider, TLS 1.2 and 1.3,
//! HTTP/2 or HTTP/1.1 by ALPN. Without them the server speaks plain HTTP, for a TLS-terminating
//! proxy in front (see `trusted_proxies`) or for development on loopback.

use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;

/// An acceptor for the certificate chain and private key in these PEM files.
pub(crate) fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, String> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|error| format!("tls_cert {}: {error}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("tls_cert {}: no certificate in the file", cert.display()));
    }
    let private =
        PrivateKeyDer::from_pem_file(key).map_err(|error| format!("tls_key {}: {error}", key.display()))?;
    let mut config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|error| error.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(|error| format!("tls_cert and tls_key do not make a usable pair: {error}"))?;
    // RFC 9113 §3.2: h2 when the client offers it, else HTTP/1.1.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
