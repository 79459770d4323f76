//! OpenID Connect Core §2, §3.1.3.3 and §12.2: the ID token the token endpoint issues for
//! an OpenID request's code and on refresh, verified with a JOSE library other than the
//! one that signs it (`jwt-simple`).

use std::collections::HashSet;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwt_simple::prelude::{JWTClaims, VerificationOptions};
use oauth2u::core::Clock;
use oauth2u::core::admin::ClientSpec;
use oauth2u::core::keys::SigningAlgorithm;
use serde_json::Value;
use sha2::{Digest, Sha256, Sha512};

use super::jwt::{header_of, jwks, verify_with};
use super::openid::{app, relying_party, sign_in_for_code};
use crate::helpers::*;

/// Verifies an ID token against the JWKS key its header names: typ, issuer, audience.
pub(crate) async fn verify_id_token(app: &TestApp, client: &TestClient, id_token: &str) -> JWTClaims<Value> {
    verify_signed_for(app, client, id_token, "JWT").await
}

/// Verifies a JWT the server signed for `client` (an ID token, a Logout Token) against the
/// JWKS key its header names, with `typ`, our issuer and the client as audience.
pub(crate) async fn verify_signed_for(
    app: &TestApp,
    client: &TestClient,
    jwt: &str,
    typ: &str,
) -> JWTClaims<Value> {
    let header = header_of(jwt);
    assert_eq!(header["typ"], typ);
    let keys = jwks(app).await;
    let key = keys.iter().find(|key| key["kid"] == header["kid"]).expect("its signing key is published");
    assert_eq!(key["alg"], header["alg"]);
    let options = VerificationOptions {
        required_signature_type: Some(typ.into()),
        allowed_issuers: Some(HashSet::from(["http://127.0.0.1".to_owned()])),
        allowed_audiences: Some(HashSet::from([client.id.clone()])),
        // The tests' clock may run ahead of the wall clock.
        accept_future: true,
        time_tolerance: Some(jwt_simple::prelude::Duration::from_hours(24)),
        ..VerificationOptions::default()
    };
    verify_with(jwt, key, options)
}

pub(crate) async fn exchange(app: &TestApp, client: &TestClient, code: &str) -> Value {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", VERIFIER),
    ];
    let response = app.token(client, &form).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn left_half_b64(digest: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

#[tokio::test]
async fn an_openid_code_gets_an_rs256_id_token_with_the_core_claims() {
    let app = app().await;
    let client = relying_party(&app).await;
    let mut browser = Browser::new(&app);
    let signed_in_at = app.clock.now();
    let nonce = "n-0S6_WzA2Mj ünïcode";
    let code = sign_in_for_code(&mut browser, &client, &[("nonce", nonce)], false).await;
    let body = exchange(&app, &client, &code).await;
    let id_token = body["id_token"].as_str().expect("an ID token");
    // Registration §2: RS256 unless the client says otherwise.
    assert_eq!(header_of(id_token)["alg"], "RS256");

    let claims = verify_id_token(&app, &client, id_token).await;
    assert_eq!(claims.subject.as_deref(), Some(app.subject.as_str()));
    assert_eq!(claims.nonce.as_deref(), Some(nonce), "exactly as sent");
    assert_eq!(claims.custom["amr"], serde_json::json!(["pwd"]));
    let auth_time = claims.custom["auth_time"].as_i64().expect("auth_time, always");
    assert!(auth_time >= signed_in_at && auth_time <= app.clock.now());
    let (issued, expires) = (claims.issued_at.unwrap().as_secs(), claims.expires_at.unwrap().as_secs());
    assert_eq!(issued as i64, app.clock.now());
    assert_eq!(expires - issued, 3600, "one hour by default");
    // §3.1.3.6: the left half of SHA-256 of the access token.
    let access_token = body["access_token"].as_str().unwrap();
    assert_eq!(claims.custom["at_hash"], left_half_b64(&Sha256::digest(access_token)));
    assert!(claims.custom.get("azp").is_none(), "aud is the client alone");
}

#[tokio::test]
async fn a_code_without_openid_gets_no_id_token() {
    let app = app().await;
    let client = relying_party(&app).await;
    let mut browser = Browser::new(&app);
    let login = browser.get(&browser_query(&client, "read")).await.text().await.unwrap();
    let after_login = browser.login(&login, USERNAME, PASSWORD).await;
    let consent =
        browser.get(after_login.headers()["location"].to_str().unwrap()).await.text().await.unwrap();
    let back = browser.consent(&consent, "allow", false).await;
    let code = redirect_params(&back)["code"].clone();
    let body = exchange(&app, &client, &code).await;
    assert!(body["access_token"].is_string());
    assert!(body.get("id_token").is_none(), "{body}");
}

fn browser_query(client: &TestClient, scope: &str) -> String {
    let params = [
        ("response_type", "code"),
        ("client_id", client.id.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("scope", scope),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    format!(
        "/authorize?{}",
        url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish()
    )
}

#[tokio::test]
async fn a_client_chooses_its_id_token_algorithm_and_at_hash_follows_it() {
    let app = app().await;
    for (algorithm, sha512) in [(SigningAlgorithm::ES256, false), (SigningAlgorithm::EdDSA, true)] {
        let client = app
            .register(ClientSpec {
                name: Some(format!("{} relying party", algorithm.as_str())),
                redirect_uris: Some(vec![REDIRECT_URI.into()]),
                scopes: Some("openid read".into()),
                id_token_alg: Some(algorithm),
                ..ClientSpec::default()
            })
            .await;
        let mut browser = Browser::new(&app);
        let code = sign_in_for_code(&mut browser, &client, &[], false).await;
        let body = exchange(&app, &client, &code).await;
        let id_token = body["id_token"].as_str().unwrap();
        assert_eq!(header_of(id_token)["alg"], algorithm.as_str());
        let claims = verify_id_token(&app, &client, id_token).await;
        let access_token = body["access_token"].as_str().unwrap();
        let expected = match sha512 {
            // Ed25519 signs with SHA-512, so at_hash is half of a SHA-512 digest.
            true => left_half_b64(&Sha512::digest(access_token)),
            false => left_half_b64(&Sha256::digest(access_token)),
        };
        assert_eq!(claims.custom["at_hash"], expected, "{}", algorithm.as_str());
        assert_eq!(claims.nonce, None, "none sent, none echoed");
    }
    // One key per algorithm in use, each published: ES256 (access tokens), EdDSA.
    let published: Vec<String> =
        jwks(&app).await.iter().map(|key| key["alg"].as_str().unwrap().to_owned()).collect();
    assert_eq!(published.iter().filter(|alg| *alg == "ES256").count(), 1, "{published:?}");
    assert_eq!(published.iter().filter(|alg| *alg == "EdDSA").count(), 1, "{published:?}");
}

#[tokio::test]
async fn a_refresh_gets_a_new_id_token_for_the_same_sign_in_without_the_nonce() {
    let app = app().await;
    let client = relying_party(&app).await;
    let mut browser = Browser::new(&app);
    let code = sign_in_for_code(&mut browser, &client, &[("nonce", "n1")], false).await;
    let first = exchange(&app, &client, &code).await;
    let first_claims = verify_id_token(&app, &client, first["id_token"].as_str().unwrap()).await;

    app.clock.advance(Duration::from_secs(600));
    let form = [("grant_type", "refresh_token"), ("refresh_token", first["refresh_token"].as_str().unwrap())];
    let response = app.token(&client, &form).await;
    assert_eq!(response.status(), 200);
    let refreshed: Value = response.json().await.unwrap();
    let id_token = refreshed["id_token"].as_str().expect("§12.2: a new ID token");
    let claims = verify_id_token(&app, &client, id_token).await;
    assert_eq!(claims.subject, first_claims.subject, "the same sub");
    assert_eq!(claims.custom["auth_time"], first_claims.custom["auth_time"], "the original auth_time");
    assert_eq!(claims.issued_at.unwrap().as_secs() as i64, app.clock.now(), "issued now");
    assert_eq!(first_claims.nonce.as_deref(), Some("n1"));
    assert_eq!(claims.nonce, None, "§12.2: no nonce on refresh");
    let access_token = refreshed["access_token"].as_str().unwrap();
    assert_eq!(claims.custom["at_hash"], left_half_b64(&Sha256::digest(access_token)));
}

#[tokio::test]
async fn remembered_consent_keeps_the_sign_in_time_and_a_new_sign_in_renews_it() {
    let app = app().await;
    let client = relying_party(&app).await;
    let mut browser = Browser::new(&app);
    let code = sign_in_for_code(&mut browser, &client, &[], true).await;
    let first = exchange(&app, &client, &code).await;
    let signed_in =
        verify_id_token(&app, &client, first["id_token"].as_str().unwrap()).await.custom["auth_time"]
            .as_i64()
            .unwrap();

    // Later, the session (rotated by the consent form) still stands for the same sign-in.
    app.clock.advance(Duration::from_secs(120));
    let again = browser.get(&super::openid::openid_request(&client, &[])).await;
    let code = redirect_params(&again)["code"].clone();
    let body = exchange(&app, &client, &code).await;
    let claims = verify_id_token(&app, &client, body["id_token"].as_str().unwrap()).await;
    assert_eq!(claims.custom["auth_time"].as_i64(), Some(signed_in), "no new sign-in happened");

    // prompt=login: the user signs in again, and auth_time says when.
    app.clock.advance(Duration::from_secs(120));
    let login = browser.get(&super::openid::openid_request(&client, &[("prompt", "login")])).await;
    let after_login = browser.login(&login.text().await.unwrap(), USERNAME, PASSWORD).await;
    let back = browser.get(after_login.headers()["location"].to_str().unwrap()).await;
    let code = redirect_params(&back)["code"].clone();
    let body = exchange(&app, &client, &code).await;
    let claims = verify_id_token(&app, &client, body["id_token"].as_str().unwrap()).await;
    assert_eq!(claims.custom["auth_time"].as_i64(), Some(app.clock.now()));
}

#[tokio::test]
async fn a_session_keeps_its_sid_across_rotations_and_records_the_clients_it_signed_into() {
    let app = app().await;
    let client = relying_party(&app).await;
    let mut browser = Browser::new(&app);
    let session = |cookie: Option<String>| {
        let store = app.store.clone();
        async move {
            let hash = oauth2u::core::secret::Secret::from_client(&cookie.expect("a session cookie")).hash();
            store.session(&hash).await.unwrap().expect("a stored session")
        }
    };
    let login = browser.get(&super::openid::openid_request(&client, &[])).await.text().await.unwrap();
    let after_login = browser.login(&login, USERNAME, PASSWORD).await;
    let signed_in = session(browser.cookie.clone()).await;
    assert_eq!(signed_in.amr, ["pwd"]);
    let consent =
        browser.get(after_login.headers()["location"].to_str().unwrap()).await.text().await.unwrap();
    assert!(app.store.session_clients(&signed_in.sid).await.unwrap().is_empty(), "nothing issued yet");
    let back = browser.consent(&consent, "allow", false).await;
    assert!(redirect_params(&back).contains_key("code"));

    let rotated = session(browser.cookie.clone()).await;
    assert_ne!(rotated.hash, signed_in.hash, "the consent form rotated the cookie");
    assert_eq!(rotated.sid, signed_in.sid, "one sign-in, one sid");
    assert_eq!(rotated.auth_time, signed_in.auth_time);
    assert_eq!(app.store.session_clients(&rotated.sid).await.unwrap(), vec![client.id.clone()]);
}

/// The ring keeps an active key per algorithm: `keys rotate` rotates the ID tokens' RS256
/// key too, published before it signs, and the old one stays published meanwhile.
#[tokio::test]
async fn the_id_token_key_rotates_like_the_access_token_key() {
    let app = app().await;
    let client = relying_party(&app).await;
    // A new sign-in each time: the publish delay (1 h) outlasts the session's idle timeout.
    let sign = async || {
        let mut browser = Browser::new(&app);
        let code = sign_in_for_code(&mut browser, &client, &[], false).await;
        let id_token = exchange(&app, &client, &code).await["id_token"].as_str().unwrap().to_owned();
        verify_id_token(&app, &client, &id_token).await;
        header_of(&id_token)["kid"].clone()
    };
    let old_kid = sign().await;

    let rotated = super::jwt::keys_cli(&app, &["rotate"]);
    assert!(rotated.contains("new RS256 key") && rotated.contains("new ES256 key"), "{rotated}");
    assert_eq!(sign().await, old_kid, "the successor is only published at first");
    let rs256 = jwks(&app).await.into_iter().filter(|key| key["alg"] == "RS256").count();
    assert_eq!(rs256, 2, "both published");
    app.clock.advance(Duration::from_secs(3601));
    assert_ne!(sign().await, old_kid, "the successor signs after the publish delay");
}
