//! DPoP (RFC 9449) at the authorization server: a valid proof binds the tokens to its key
//! (`token_type` DPoP, `cnf.jkt`), a public client's refresh token too, and a code bound
//! with `dpop_jkt` or a pushed proof is redeemed only with that key; every bad proof is
//! `invalid_dpop_proof`, a replay is refused on every instance, and server nonces work.

use oauth2u::core::Clock;
use oauth2u::core::admin::ClientSpec;
use oauth2u::core::config::TokenFormat;
use oauth2u::core::model::{ClientKeys, GrantType};
use serde_json::{Value, json};

use super::jose_peer::{PeerKey, random_id};
use super::private_key_jwt::{ISSUER, JWT_BEARER, key_client};
use crate::helpers::*;

/// Where proofs for the token endpoint point: the issuer's URL, whatever `Host` says.
const TOKEN_URL: &str = "http://127.0.0.1/token";

async fn token_with_proof(
    app: &TestApp,
    client: &TestClient,
    proof: Option<&str>,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = app.http.post(app.url("/token"));
    let mut form = form.to_vec();
    match &client.secret {
        Some(secret) => request = request.basic_auth(&client.id, Some(secret)),
        None => form.push(("client_id", &client.id)),
    }
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    request.form(&form).send().await.unwrap()
}

async fn client_credentials(app: &TestApp, client: &TestClient, proof: Option<&str>) -> reqwest::Response {
    token_with_proof(app, client, proof, &[("grant_type", "client_credentials")]).await
}

async fn introspect(app: &TestApp, client: &TestClient, token: &str) -> Value {
    let response = app
        .http
        .post(app.url("/introspect"))
        .basic_auth(&client.id, client.secret.as_deref())
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_proof_binds_the_access_token_to_its_key() {
    let app = TestApp::spawn().await;
    let client = app.service_client().await;
    let key = PeerKey::generate("dpop");
    let response =
        client_credentials(&app, &client, Some(&key.proof("POST", TOKEN_URL, app.clock.now(), None, None)))
            .await;
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["token_type"], "DPoP");
    let seen = introspect(&app, &client, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(seen["token_type"], "DPoP");
    assert_eq!(seen["cnf"], json!({ "jkt": key.thumbprint() }));
    // Without a proof the token is a bearer token, as before.
    let bearer: Value = client_credentials(&app, &client, None).await.json().await.unwrap();
    assert_eq!(bearer["token_type"], "Bearer");
    assert!(introspect(&app, &client, bearer["access_token"].as_str().unwrap()).await.get("cnf").is_none());
    assert!(
        app.metadata().await["dpop_signing_alg_values_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("ES256"))
    );
}

#[tokio::test]
async fn a_jwt_access_token_names_its_key_in_cnf() {
    let app = TestApp::spawn().await;
    let client = app
        .register(ClientSpec {
            name: Some("jwt service".into()),
            grant_types: Some(vec![GrantType::ClientCredentials]),
            scopes: Some("read".into()),
            access_token_format: Some(TokenFormat::Jwt),
            ..ClientSpec::default()
        })
        .await;
    let key = PeerKey::generate("dpop");
    let tokens: Value =
        client_credentials(&app, &client, Some(&key.proof("POST", TOKEN_URL, app.clock.now(), None, None)))
            .await
            .json()
            .await
            .unwrap();
    let claims = jwt_payload(tokens["access_token"].as_str().unwrap());
    assert_eq!(claims["cnf"]["jkt"], key.thumbprint());
}

#[tokio::test]
async fn a_public_clients_refresh_token_needs_the_same_key() {
    let app = TestApp::spawn().await;
    let client = app.public_client().await;
    let key = PeerKey::generate("dpop");
    let code = app.code(&client).await;
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("code_verifier", VERIFIER)];
    let proof = key.proof("POST", TOKEN_URL, app.clock.now(), None, None);
    let tokens: Value = token_with_proof(&app, &client, Some(&proof), &form).await.json().await.unwrap();
    assert_eq!(tokens["token_type"], "DPoP");
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
    assert_error(token_with_proof(&app, &client, None, &form).await, 400, "invalid_grant").await;
    let other = PeerKey::generate("other");
    let proof = other.proof("POST", TOKEN_URL, app.clock.now(), None, None);
    assert_error(token_with_proof(&app, &client, Some(&proof), &form).await, 400, "invalid_grant").await;
    let proof = key.proof("POST", TOKEN_URL, app.clock.now(), None, None);
    let refreshed = token_with_proof(&app, &client, Some(&proof), &form).await;
    assert_eq!(refreshed.status(), 200);
    assert_eq!(refreshed.json::<Value>().await.unwrap()["token_type"], "DPoP");
}

#[tokio::test]
async fn dpop_jkt_at_the_authorization_endpoint_binds_the_code() {
    let app = TestApp::spawn().await;
    let client = app.public_client().await;
    let key = PeerKey::generate("dpop");
    let jkt = key.thumbprint();
    let code = app
        .code_with(
            &client,
            &[("code_challenge", CHALLENGE), ("code_challenge_method", "S256"), ("dpop_jkt", &jkt)],
        )
        .await;
    let form = [("grant_type", "authorization_code"), ("code", code.as_str()), ("code_verifier", VERIFIER)];
    assert_error(token_with_proof(&app, &client, None, &form).await, 400, "invalid_grant").await;
    let stranger = PeerKey::generate("stranger").proof("POST", TOKEN_URL, app.clock.now(), None, None);
    assert_error(token_with_proof(&app, &client, Some(&stranger), &form).await, 400, "invalid_grant").await;
    let proof = key.proof("POST", TOKEN_URL, app.clock.now(), None, None);
    assert_eq!(token_with_proof(&app, &client, Some(&proof), &form).await.status(), 200);
    // A malformed dpop_jkt goes back to the client.
    let refused = app
        .get_authorize(&[
            ("response_type", "code"),
            ("client_id", client.id.as_str()),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("dpop_jkt", "not-a-thumbprint"),
        ])
        .await;
    assert_eq!(redirect_params(&refused)["error"], "invalid_request");
}

#[tokio::test]
async fn a_proof_at_the_par_endpoint_binds_the_code() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let key = PeerKey::generate("dpop");
    let proof = key.proof("POST", "http://127.0.0.1/par", app.clock.now(), None, None);
    let pushed = push_with_proof(&app, &client, proof, &form_of(&client)).await;
    assert_eq!(pushed.status(), 201);
    let uri = pushed.json::<Value>().await.unwrap()["request_uri"].as_str().unwrap().to_owned();
    let answer = app.get_authorize(&[("client_id", client.id.as_str()), ("request_uri", &uri)]).await;
    let code = redirect_params(&answer)["code"].clone();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", VERIFIER),
    ];
    assert_error(token_with_proof(&app, &client, None, &form).await, 400, "invalid_grant").await;
    let proof = key.proof("POST", TOKEN_URL, app.clock.now(), None, None);
    assert_eq!(token_with_proof(&app, &client, Some(&proof), &form).await.status(), 200);
    // A dpop_jkt that names another key than the push's proof is refused.
    let other = PeerKey::generate("other").thumbprint();
    let mut form: Vec<(&str, String)> = form_of(&client);
    form.push(("dpop_jkt", other));
    let proof = key.proof("POST", "http://127.0.0.1/par", app.clock.now(), None, None);
    let mismatched = push_with_proof(&app, &client, proof, &form).await;
    assert_error(mismatched, 400, "invalid_dpop_proof").await;
}

/// A push of `form` by `client`, with a DPoP proof.
async fn push_with_proof(
    app: &TestApp,
    client: &TestClient,
    proof: String,
    form: &[(&str, String)],
) -> reqwest::Response {
    let request = app.http.post(app.url("/par")).basic_auth(&client.id, client.secret.as_deref());
    request.header("DPoP", proof).form(form).send().await.unwrap()
}

fn form_of(client: &TestClient) -> Vec<(&'static str, String)> {
    vec![
        ("response_type", "code".to_owned()),
        ("client_id", client.id.clone()),
        ("redirect_uri", REDIRECT_URI.to_owned()),
        ("code_challenge", CHALLENGE.to_owned()),
        ("code_challenge_method", "S256".to_owned()),
    ]
}

#[tokio::test]
async fn every_bad_proof_is_invalid_dpop_proof() {
    let app = TestApp::spawn().await;
    let client = app.service_client().await;
    let key = PeerKey::generate("dpop");
    let now = app.clock.now();
    let header = || json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": key.public_jwk() });
    let claims = || json!({ "jti": random_id(), "htm": "POST", "htu": TOKEN_URL, "iat": now });
    let with = |mut value: Value, name: &str, changed: Value| {
        match changed {
            Value::Null => value.as_object_mut().unwrap().remove(name),
            changed => value.as_object_mut().unwrap().insert(name.to_owned(), changed),
        };
        value
    };
    let mut private_jwk = key.public_jwk();
    private_jwk["d"] = "AAAA".into();
    let cases = [
        ("typ JWT", key.proof_with(with(header(), "typ", "JWT".into()), &claims())),
        ("alg none", key.proof_with(with(header(), "alg", "none".into()), &claims())),
        ("alg HS256", key.proof_with(with(header(), "alg", "HS256".into()), &claims())),
        ("no jwk", key.proof_with(with(header(), "jwk", Value::Null), &claims())),
        ("a private jwk", key.proof_with(with(header(), "jwk", private_jwk), &claims())),
        (
            "another key's jwk",
            key.proof_with(with(header(), "jwk", PeerKey::generate("x").public_jwk()), &claims()),
        ),
        ("htm GET", key.proof_with(header(), &with(claims(), "htm", "GET".into()))),
        // The URL the client reached (its Host and port) is not the issuer's.
        (
            "htu from the Host header",
            key.proof_with(header(), &with(claims(), "htu", app.url("/token").into())),
        ),
        (
            "htu of another endpoint",
            key.proof_with(header(), &with(claims(), "htu", "http://127.0.0.1/par".into())),
        ),
        ("no jti", key.proof_with(header(), &with(claims(), "jti", Value::Null))),
        ("iat long ago", key.proof_with(header(), &with(claims(), "iat", (now - 600).into()))),
        ("iat in the future", key.proof_with(header(), &with(claims(), "iat", (now + 600).into()))),
        ("not a JWT", "garbage".to_owned()),
    ];
    for (why, proof) in cases {
        let response = client_credentials(&app, &client, Some(&proof)).await;
        assert_eq!(response.status(), 400, "{why}");
        assert_eq!(response.json::<Value>().await.unwrap()["error"], "invalid_dpop_proof", "{why}");
    }
    // §4.3 check 1: exactly one DPoP header.
    let proof = key.proof("POST", TOKEN_URL, now, None, None);
    let twice = app
        .http
        .post(app.url("/token"))
        .basic_auth(&client.id, client.secret.as_deref())
        .header("DPoP", &proof)
        .header("DPoP", &proof)
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_error(twice, 400, "invalid_dpop_proof").await;
}

#[tokio::test]
async fn a_proof_is_used_once_across_instances() {
    let app = TestApp::spawn().await;
    let beside = app.spawn_beside(|_| {}).await;
    let client = app.service_client().await;
    let key = PeerKey::generate("dpop");
    let proof = key.proof("POST", TOKEN_URL, app.clock.now(), None, None);
    assert_eq!(client_credentials(&app, &client, Some(&proof)).await.status(), 200);
    assert_error(client_credentials(&beside, &client, Some(&proof)).await, 400, "invalid_dpop_proof").await;
    assert_error(client_credentials(&app, &client, Some(&proof)).await, 400, "invalid_dpop_proof").await;

    // A client assertion too.
    let signer = PeerKey::generate("signer");
    let signing_client = key_client(&app, ClientKeys::Jwks(signer.jwks())).await;
    let assertion = signer.assertion(&signing_client.id, ISSUER, app.clock.now());
    let form = [
        ("grant_type", "client_credentials"),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", assertion.as_str()),
    ];
    assert_eq!(app.http.post(app.url("/token")).form(&form).send().await.unwrap().status(), 200);
    let replayed = beside.http.post(beside.url("/token")).form(&form).send().await.unwrap();
    assert_eq!(replayed.status(), 401, "a replay at another instance");
}

#[tokio::test]
async fn a_client_registered_for_bound_tokens_must_send_a_proof() {
    let app = TestApp::spawn().await;
    let client = app
        .register(ClientSpec {
            name: Some("bound".into()),
            grant_types: Some(vec![GrantType::ClientCredentials]),
            scopes: Some("read".into()),
            dpop_bound_access_tokens: Some(true),
            ..ClientSpec::default()
        })
        .await;
    assert_error(client_credentials(&app, &client, None).await, 400, "invalid_dpop_proof").await;
    let proof = PeerKey::generate("dpop").proof("POST", TOKEN_URL, app.clock.now(), None, None);
    assert_eq!(client_credentials(&app, &client, Some(&proof)).await.status(), 200);
}

#[tokio::test]
async fn with_nonces_on_a_proof_without_the_servers_nonce_is_refused_and_the_assertion_can_be_sent_again() {
    let app = TestApp::spawn_with(|settings| settings.dpop.nonces = true).await;
    let signer = PeerKey::generate("signer");
    let client = key_client(&app, ClientKeys::Jwks(signer.jwks())).await;
    let key = PeerKey::generate("dpop");
    let assertion = signer.assertion(&client.id, ISSUER, app.clock.now());
    let form = [
        ("grant_type", "client_credentials"),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", assertion.as_str()),
    ];
    let send = |proof: String| app.http.post(app.url("/token")).header("DPoP", proof).form(&form).send();
    let first = send(key.proof("POST", TOKEN_URL, app.clock.now(), None, None)).await.unwrap();
    assert_eq!(first.status(), 400);
    let nonce = first.headers()["dpop-nonce"].to_str().unwrap().to_owned();
    assert_eq!(first.json::<Value>().await.unwrap()["error"], "use_dpop_nonce");
    let wrong = send(key.proof("POST", TOKEN_URL, app.clock.now(), None, Some("made-up"))).await.unwrap();
    assert_eq!(wrong.json::<Value>().await.unwrap()["error"], "use_dpop_nonce");
    // The same assertion: the refusals did not use its jti up.
    let retried = send(key.proof("POST", TOKEN_URL, app.clock.now(), None, Some(&nonce))).await.unwrap();
    assert_eq!(retried.status(), 200);
    assert!(retried.headers().contains_key("dpop-nonce"), "every answer carries the current nonce");
    // A nonce stays good for a minute or two, not for ever.
    app.clock.advance(std::time::Duration::from_secs(180));
    let assertion = signer.assertion(&client.id, ISSUER, app.clock.now());
    let form = [
        ("grant_type", "client_credentials"),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", assertion.as_str()),
    ];
    let stale = app
        .http
        .post(app.url("/token"))
        .header("DPoP", key.proof("POST", TOKEN_URL, app.clock.now(), None, Some(&nonce)))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(stale.json::<Value>().await.unwrap()["error"], "use_dpop_nonce");
}

/// RFC 9449 §7.1 at the server's own protected resource: userinfo takes a bound token with
/// the DPoP scheme and a proof of its key, and refuses it as Bearer.
#[tokio::test]
async fn userinfo_takes_a_bound_token_only_with_a_proof() {
    let app = TestApp::spawn().await;
    let client = super::openid::relying_party(&app).await;
    let key = PeerKey::generate("dpop");
    let code = app
        .code_with(
            &client,
            &[
                ("scope", "openid"),
                ("redirect_uri", REDIRECT_URI),
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "S256"),
            ],
        )
        .await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", VERIFIER),
    ];
    let proof = key.proof("POST", TOKEN_URL, app.clock.now(), None, None);
    let tokens: Value = token_with_proof(&app, &client, Some(&proof), &form).await.json().await.unwrap();
    let token = tokens["access_token"].as_str().unwrap();
    let userinfo = "http://127.0.0.1/userinfo";

    let as_bearer = app.http.get(app.url("/userinfo")).bearer_auth(token).send().await.unwrap();
    assert_eq!(as_bearer.status(), 401);
    let with_proof = |proof: String| {
        app.http
            .get(app.url("/userinfo"))
            .header("authorization", format!("DPoP {token}"))
            .header("DPoP", proof)
            .send()
    };
    let answered = with_proof(key.proof("GET", userinfo, app.clock.now(), Some(token), None)).await.unwrap();
    assert_eq!(answered.status(), 200);
    assert_eq!(answered.json::<Value>().await.unwrap()["sub"], app.subject);
    let other_key =
        with_proof(PeerKey::generate("x").proof("GET", userinfo, app.clock.now(), Some(token), None))
            .await
            .unwrap();
    assert_eq!(other_key.status(), 401);
    assert!(other_key.headers()["www-authenticate"].to_str().unwrap().contains("invalid_dpop_proof"));
    let no_ath = with_proof(key.proof("GET", userinfo, app.clock.now(), None, None)).await.unwrap();
    assert_eq!(no_ath.status(), 401);
}

/// The PAR endpoint checks proofs as the token endpoint does (RFC 9449 §10.1, §8).
#[tokio::test]
async fn the_par_endpoint_refuses_bad_proofs_and_asks_for_nonces() {
    let app = TestApp::spawn_with(|settings| settings.dpop.nonces = true).await;
    let client = app.confidential_client().await;
    let key = PeerKey::generate("dpop");
    let form = form_of(&client);
    let push = |proof: String| push_with_proof(&app, &client, proof, &form);
    let wrong_url = push(key.proof("POST", TOKEN_URL, app.clock.now(), None, None)).await;
    assert_error(wrong_url, 400, "invalid_dpop_proof").await;
    let without_nonce = push(key.proof("POST", "http://127.0.0.1/par", app.clock.now(), None, None)).await;
    assert_eq!(without_nonce.status(), 400);
    let nonce = without_nonce.headers()["dpop-nonce"].to_str().unwrap().to_owned();
    assert_eq!(without_nonce.json::<Value>().await.unwrap()["error"], "use_dpop_nonce");
    let with_nonce =
        push(key.proof("POST", "http://127.0.0.1/par", app.clock.now(), None, Some(&nonce))).await;
    assert_eq!(with_nonce.status(), 201);
}
