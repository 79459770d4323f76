//! RFC 9068 JWT access tokens, verified by a JOSE library other than the one that signs
//! them (`jwt-simple`), and their keys: sealed at rest, published, rotated, revoked.

use std::collections::HashSet;
use std::process::Command;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jwt_simple::prelude::*;
use oauth2u::core::admin::ClientSpec;
use oauth2u::core::config::TokenFormat;
use oauth2u::core::keys::SigningAlgorithm;
use oauth2u::core::model::GrantType;
use serde_json::{Value, json};

use crate::helpers::*;

const API: &str = "https://photos.example/api";

async fn jwt_client(app: &TestApp) -> TestClient {
    app.register(ClientSpec {
        name: Some("jwt service".into()),
        grant_types: Some(vec![GrantType::ClientCredentials]),
        scopes: Some("read write".into()),
        resources: Some(vec![API.into()]),
        access_token_format: Some(TokenFormat::Jwt),
        ..ClientSpec::default()
    })
    .await
}

async fn jwt_for(app: &TestApp, client: &TestClient) -> String {
    let form = [("grant_type", "client_credentials"), ("scope", "read"), ("resource", API)];
    let body: Value = app.token(client, &form).await.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

pub(crate) async fn jwks(app: &TestApp) -> Vec<Value> {
    let response = app.http.get(app.url("/jwks.json")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    // Cacheable for the publish delay (jwks_max_age, 1 h by default).
    assert!(response.headers()["cache-control"].to_str().unwrap().starts_with("public, max-age="));
    let body: Value = response.json().await.unwrap();
    body["keys"].as_array().unwrap().clone()
}

/// The published keys of one algorithm: the access tokens' (the server publishes the ID
/// tokens' keys beside them, made before the first JWKS is served).
async fn access_token_keys(app: &TestApp, alg: &str) -> Vec<Value> {
    jwks(app).await.into_iter().filter(|key| key["alg"] == alg).collect()
}

/// The published key that signed `jwt`.
async fn key_for(app: &TestApp, jwt: &str) -> Value {
    let kid = header_of(jwt)["kid"].clone();
    jwks(app).await.into_iter().find(|key| key["kid"] == kid).expect("the signing key is published")
}

pub(crate) fn header_of(jwt: &str) -> Value {
    let header = jwt.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap()
}

fn kids(keys: &[Value]) -> Vec<String> {
    keys.iter().map(|key| key["kid"].as_str().unwrap().to_owned()).collect()
}

fn b64(jwk: &Value, field: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(jwk[field].as_str().unwrap()).unwrap()
}

/// Verifies with jwt-simple against the JWK, checking typ, issuer and audience.
fn verify(jwt: &str, jwk: &Value) -> JWTClaims<Value> {
    let options = VerificationOptions {
        required_signature_type: Some("at+jwt".into()),
        allowed_issuers: Some(HashSet::from(["http://127.0.0.1".to_owned()])),
        allowed_audiences: Some(HashSet::from([API.to_owned(), "http://127.0.0.1".to_owned()])),
        ..VerificationOptions::default()
    };
    verify_with(jwt, jwk, options)
}

/// Verifies a JWT's signature with jwt-simple against the JWK, and `options`.
pub(crate) fn verify_with(jwt: &str, jwk: &Value, options: VerificationOptions) -> JWTClaims<Value> {
    match jwk["alg"].as_str().unwrap() {
        "ES256" => {
            let point = [&[4u8][..], &b64(jwk, "x"), &b64(jwk, "y")].concat();
            ES256PublicKey::from_bytes(&point).unwrap().verify_token::<Value>(jwt, Some(options))
        }
        "EdDSA" => {
            Ed25519PublicKey::from_bytes(&b64(jwk, "x")).unwrap().verify_token::<Value>(jwt, Some(options))
        }
        "RS256" => RS256PublicKey::from_components(&b64(jwk, "n"), &b64(jwk, "e"))
            .unwrap()
            .verify_token::<Value>(jwt, Some(options)),
        other => panic!("unexpected alg {other}"),
    }
    .expect("the JWT verifies")
}

#[tokio::test]
async fn a_jwt_access_token_carries_the_rfc_9068_claims_and_verifies_elsewhere() {
    let app = TestApp::spawn().await;
    let client = jwt_client(&app).await;
    let jwt = jwt_for(&app, &client).await;
    let header = header_of(&jwt);
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["alg"], "ES256");
    let published = app.http.get(app.url("/jwks.json")).send().await.unwrap();
    assert_eq!(published.headers()["cache-control"], "public, max-age=3600", "the default publish delay");
    let keys = access_token_keys(&app, "ES256").await;
    assert_eq!(kids(&keys), [header["kid"].as_str().unwrap()]);
    assert!(jwks(&app).await.iter().all(|key| key.get("d").is_none()), "no private part is published");

    let claims = verify(&jwt, &keys[0]);
    assert_eq!(claims.subject.as_deref(), Some(client.id.as_str()), "client credentials: sub is the client");
    assert_eq!(claims.custom["client_id"], client.id);
    assert_eq!(claims.custom["scope"], "read");
    assert!(claims.jwt_id.is_some());
    let (issued, expires) = (claims.issued_at.unwrap().as_secs(), claims.expires_at.unwrap().as_secs());
    assert_eq!(expires - issued, 3600);

    // Introspection knows it, with its jti; revoked, it is inactive though its signature holds.
    let answer = app.introspection(&client, &jwt).await;
    assert_eq!(answer["active"], true);
    assert_eq!(answer["jti"], json!(claims.jwt_id.unwrap()));
    assert_eq!(app.revoke(&client, &[("token", &jwt)]).await.status(), 200);
    assert_eq!(app.introspection(&client, &jwt).await["active"], false);
}

#[tokio::test]
async fn eddsa_and_rs256_are_available() {
    for algorithm in [SigningAlgorithm::EdDSA, SigningAlgorithm::RS256] {
        let app = TestApp::spawn_with(move |settings| settings.jwt_algorithm = algorithm).await;
        let client = jwt_client(&app).await;
        let jwt = jwt_for(&app, &client).await;
        assert_eq!(header_of(&jwt)["alg"], algorithm.as_str());
        verify(&jwt, &key_for(&app, &jwt).await);
    }
}

#[tokio::test]
async fn server_wide_jwt_tokens_name_the_user_and_fall_back_to_the_issuer_as_audience() {
    let app = TestApp::spawn_with(|settings| settings.access_token_format = TokenFormat::Jwt).await;
    let client = app.confidential_client().await;
    let tokens = app.tokens(&client).await;
    let jwt = tokens["access_token"].as_str().unwrap();
    let claims = verify(jwt, &key_for(&app, jwt).await);
    assert_eq!(claims.subject.as_deref(), Some(app.subject.as_str()));
    assert_eq!(claims.audiences.unwrap().into_set(), HashSet::from(["http://127.0.0.1".to_owned()]));
    assert!(tokens["refresh_token"].as_str().unwrap().starts_with("o2u_rt_"), "refresh tokens stay opaque");
}

pub(crate) fn keys_cli(app: &TestApp, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_oauth2u"))
        .args(["--database", &app.database_url, "keys"])
        .args(args)
        .env_remove("OAUTH2U_CONFIG")
        .envs(app.master_key.as_ref().map(|key| ("OAUTH2U_MASTER_KEY", key)))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test]
async fn rotation_publishes_before_signing_and_keeps_the_old_key_until_its_tokens_expire() {
    let app = TestApp::spawn().await;
    let client = jwt_client(&app).await;
    let old_kid = header_of(&jwt_for(&app, &client).await)["kid"].as_str().unwrap().to_owned();

    keys_cli(&app, &["rotate"]);
    let published = kids(&access_token_keys(&app, "ES256").await);
    assert_eq!(published.len(), 2, "the new key is published at once");
    let new_kid = published.iter().find(|kid| **kid != old_kid).unwrap().clone();
    let before = jwt_for(&app, &client).await;
    assert_eq!(header_of(&before)["kid"], old_kid, "but does not sign before the JWKS cache time has passed");

    app.clock.advance(Duration::from_secs(3601));
    let after = jwt_for(&app, &client).await;
    assert_eq!(header_of(&after)["kid"], new_kid.as_str());
    let keys = jwks(&app).await;
    assert!(kids(&keys).contains(&old_kid), "the old key's tokens are still valid");
    let old_jwk = keys.iter().find(|key| key["kid"] == old_kid.as_str()).unwrap();
    verify(&before, old_jwk);
    assert!(keys_cli(&app, &["list"]).contains(&new_kid));

    app.clock.advance(Duration::from_secs(3601));
    assert_eq!(
        kids(&access_token_keys(&app, "ES256").await),
        [new_kid],
        "dropped once its last token has expired"
    );
}

#[tokio::test]
async fn a_revoked_key_leaves_the_jwks_and_its_tokens_fail_introspection() {
    let app = TestApp::spawn().await;
    let client = jwt_client(&app).await;
    let jwt = jwt_for(&app, &client).await;
    let kid = header_of(&jwt)["kid"].as_str().unwrap().to_owned();
    keys_cli(&app, &["revoke", &kid]);
    assert!(!kids(&jwks(&app).await).contains(&kid));
    assert_eq!(app.introspection(&client, &jwt).await["active"], false);
    let next = jwt_for(&app, &client).await;
    assert_ne!(header_of(&next)["kid"], kid.as_str(), "a new key signs at once");
    assert_eq!(app.introspection(&client, &next).await["active"], true);
}

#[tokio::test]
async fn keys_rotate_on_a_schedule_without_a_restart() {
    let app =
        TestApp::spawn_with(|settings| settings.key_rotation_interval = Some(Duration::from_secs(86_400)))
            .await;
    let client = jwt_client(&app).await;
    let first = header_of(&jwt_for(&app, &client).await)["kid"].clone();
    app.clock.advance(Duration::from_secs(86_401));
    assert_eq!(
        header_of(&jwt_for(&app, &client).await)["kid"],
        first,
        "the successor is only published at first"
    );
    let es256 = jwks(&app).await.into_iter().filter(|key| key["alg"] == "ES256").count();
    assert_eq!(es256, 2, "the access tokens' key and its successor");
    app.clock.advance(Duration::from_secs(3601));
    assert_ne!(header_of(&jwt_for(&app, &client).await)["kid"], first);
}

#[tokio::test]
async fn a_database_dump_alone_reveals_no_private_key() {
    let app = TestApp::spawn().await;
    let client = jwt_client(&app).await;
    jwt_for(&app, &client).await;
    let exported: Value = serde_json::from_str(&keys_cli(&app, &["export"])).unwrap();
    let der = STANDARD.decode(exported[0]["private_key_der"].as_str().unwrap()).unwrap();
    let dump = crate::database::dump(&app.database_url);
    // No 32-byte run of the private key (the P-256 scalar among them) is in the files.
    for window in der.windows(32) {
        assert!(
            !dump.windows(32).any(|candidate| candidate == window),
            "private key material in the database"
        );
    }
}

#[tokio::test]
async fn keys_export_and_import_into_another_database() {
    let app = TestApp::spawn().await;
    let client = jwt_client(&app).await;
    let kid = header_of(&jwt_for(&app, &client).await)["kid"].as_str().unwrap().to_owned();
    let exported = keys_cli(&app, &["export"]);

    let other = TestApp::spawn().await;
    let own = kids(&jwks(&other).await);
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), exported).unwrap();
    assert!(keys_cli(&other, &["import", file.path().to_str().unwrap()]).contains(&kid));
    assert!(kids(&jwks(&other).await).contains(&kid), "published there: its tokens verify");
    // With the key the new database made for itself revoked, the restored key signs again.
    for own in own {
        keys_cli(&other, &["revoke", &own]);
    }
    let other_client = jwt_client(&other).await;
    assert_eq!(header_of(&jwt_for(&other, &other_client).await)["kid"], kid.as_str(), "and it signs there");
}

#[tokio::test]
async fn metadata_names_the_jwks_which_has_a_key_from_the_start() {
    let app = TestApp::spawn().await;
    let document: Value = app.metadata().await;
    assert_eq!(document["jwks_uri"], "http://127.0.0.1/jwks.json");
    let first = access_token_keys(&app, "ES256").await;
    assert_eq!(first.len(), 1, "a key from the first start, before any JWT is issued");
}

#[tokio::test]
async fn a_revoked_key_stops_signing_within_the_key_cache_time() {
    let app = TestApp::spawn_with(|settings| settings.signing_key_cache_ttl = Duration::from_secs(1)).await;
    let client = jwt_client(&app).await;
    let jwt = jwt_for(&app, &client).await;
    let kid = header_of(&jwt)["kid"].as_str().unwrap().to_owned();
    keys_cli(&app, &["revoke", &kid]);
    let signed_meanwhile = jwt_for(&app, &client).await;
    assert_eq!(header_of(&signed_meanwhile)["kid"], kid.as_str(), "cached for up to a second");
    assert_eq!(app.introspection(&client, &signed_meanwhile).await["active"], false, "but never valid");
    app.clock.advance(Duration::from_secs(1));
    assert_ne!(header_of(&jwt_for(&app, &client).await)["kid"], kid.as_str());
    assert!(!kids(&jwks(&app).await).contains(&kid), "the JWKS is never served from the cache");
}
