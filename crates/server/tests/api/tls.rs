//! Native TLS: https with the operator's certificate, HSTS on every answer.

use std::process::Command;

use crate::helpers::*;

/// A self-signed certificate for 127.0.0.1, made with the openssl command line.
pub fn certificate(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"])
        .args(["-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
        // An end-entity certificate: WebPKI refuses a CA certificate as a server's.
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("the openssl command line");
    assert!(made.status.success(), "{made:?}");
    (cert, key)
}

#[tokio::test]
async fn with_a_certificate_the_server_speaks_https_only_and_sends_hsts() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = certificate(dir.path());
    let app = TestApp::spawn_with(|settings| {
        settings.tls_cert = Some(cert.clone());
        settings.tls_key = Some(key.clone());
    })
    .await;
    let https = app.base.replace("http://", "https://");
    let trusted = reqwest::Certificate::from_pem(&std::fs::read(&cert).unwrap()).unwrap();
    let client = reqwest::Client::builder().add_root_certificate(trusted).build().unwrap();

    let response = client.get(format!("{https}/health/live")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["strict-transport-security"], "max-age=31536000");
    assert_eq!(response.version(), reqwest::Version::HTTP_2, "h2 by ALPN when the client offers it");
    let http1 = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&std::fs::read(&cert).unwrap()).unwrap())
        .http1_only()
        .build()
        .unwrap();
    let response = http1.get(format!("{https}/health/live")).send().await.unwrap();
    assert_eq!(response.version(), reqwest::Version::HTTP_11, "HTTP/1.1 for a client that offers only that");
    let service = app.service_client().await;
    let token = client
        .post(format!("{https}/token"))
        .basic_auth(&service.id, service.secret.as_deref())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 200);

    // Plain HTTP to the TLS port gets no answer.
    assert!(app.http.get(app.url("/health/live")).send().await.is_err());
}

#[test]
fn a_certificate_without_its_key_is_refused() {
    let output = Command::new(env!("CARGO_BIN_EXE_oauth2u"))
        .args(["serve", "--tls-cert", "cert.pem"])
        .env_remove("OAUTH2U_CONFIG")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--tls-key"), "{output:?}");
}
