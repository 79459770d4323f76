//! OpenID Connect Core §8: pairwise subject identifiers — one `sub` per sector, the same
//! everywhere the client sees it, unlinkable across sectors — and the registration rules
//! that give every pairwise client a sector of its own.

use oauth2u::core::admin::{self, AdminError, ClientSpec};
use oauth2u::core::config::TokenFormat;
use oauth2u::core::{Clock, Store};
use serde_json::Value;

use super::id_token::{exchange, verify_id_token};
use super::openid::{app, openid_request, sign_in_for_code};
use crate::helpers::*;

/// A pairwise client on REDIRECT_URI (sector `client.example` unless one is named).
async fn pairwise_client(app: &TestApp, sector: Option<&str>) -> TestClient {
    app.register(ClientSpec {
        name: Some("pairwise relying party".into()),
        redirect_uris: Some(vec![REDIRECT_URI.into()]),
        scopes: Some("openid read".into()),
        pairwise: Some(true),
        sector_identifier: sector.map(str::to_owned),
        access_token_format: Some(TokenFormat::Jwt),
        ..ClientSpec::default()
    })
    .await
}

/// Alice signs in afresh for `client`; the token response.
async fn tokens_for(app: &TestApp, client: &TestClient) -> Value {
    let mut browser = Browser::new(app);
    let code = sign_in_for_code(&mut browser, client, &[], false).await;
    exchange(app, client, &code).await
}

async fn id_token_sub(app: &TestApp, client: &TestClient) -> String {
    let body = tokens_for(app, client).await;
    let claims = verify_id_token(app, client, body["id_token"].as_str().unwrap()).await;
    claims.subject.expect("an ID token has a sub")
}

#[tokio::test]
async fn pairwise_subjects_are_stable_within_a_sector_and_differ_across_sectors() {
    let app = app().await;
    let first = pairwise_client(&app, None).await;
    let same_sector = pairwise_client(&app, None).await;
    let other_sector = pairwise_client(&app, Some("photos.example")).await;

    let sub = id_token_sub(&app, &first).await;
    assert_ne!(sub, app.subject, "a pairwise client never sees the public sub");
    assert_eq!(id_token_sub(&app, &first).await, sub, "stable across sign-ins");
    assert_eq!(id_token_sub(&app, &same_sector).await, sub, "one sub per sector (client.example)");
    let other = id_token_sub(&app, &other_sector).await;
    assert_ne!(other, sub, "another sector, another sub");
    assert_ne!(other, app.subject);

    // A public client still sees the user's own subject.
    let public = super::openid::relying_party(&app).await;
    assert_eq!(id_token_sub(&app, &public).await, app.subject);
}

#[tokio::test]
async fn a_pairwise_client_sees_the_same_sub_in_every_place_it_sees_one() {
    let app = app().await;
    let client = pairwise_client(&app, None).await;
    let body = tokens_for(&app, &client).await;
    let sub = verify_id_token(&app, &client, body["id_token"].as_str().unwrap()).await.subject.unwrap();
    let access_token = body["access_token"].as_str().unwrap();

    assert_eq!(jwt_payload(access_token)["sub"], sub.as_str(), "its JWT access token");
    let userinfo = super::userinfo::userinfo_claims(&app, access_token).await;
    assert_eq!(userinfo["sub"], sub.as_str(), "userinfo");
    let introspection = app.introspection(&client, access_token).await;
    assert_eq!(introspection["active"], true);
    assert_eq!(introspection["sub"], sub.as_str(), "its own introspection");
    assert!(introspection.get("username").is_none(), "no username to link the user by: {introspection}");

    // §12.2: the ID token of a refresh names the same sub.
    let refreshed = app
        .token(
            &client,
            &[("grant_type", "refresh_token"), ("refresh_token", body["refresh_token"].as_str().unwrap())],
        )
        .await;
    assert_eq!(refreshed.status(), 200);
    let refreshed: Value = refreshed.json().await.unwrap();
    assert_eq!(jwt_payload(refreshed["id_token"].as_str().unwrap())["sub"], sub.as_str());
}

#[tokio::test]
async fn the_pairwise_sub_survives_a_restart_and_is_the_same_on_every_instance() {
    // The secret lives in the database, sealed: a second server on the same database,
    // with the same master key, derives the same sub.
    let app = app().await;
    let client = pairwise_client(&app, None).await;
    let sub = id_token_sub(&app, &client).await;
    let twin = app.spawn_beside(|settings| settings.auto_approve = None).await;
    let mut browser = Browser::new(&twin);
    let code = sign_in_for_code(&mut browser, &client, &[], false).await;
    let body = exchange(&twin, &client, &code).await;
    assert_eq!(jwt_payload(body["id_token"].as_str().unwrap())["sub"], sub.as_str());
}

#[tokio::test]
async fn an_id_token_hint_of_a_pairwise_client_names_its_signed_in_user() {
    let app = app().await;
    let client = pairwise_client(&app, None).await;
    let mut browser = Browser::new(&app);
    let code = sign_in_for_code(&mut browser, &client, &[], true).await;
    let id_token = exchange(&app, &client, &code).await["id_token"].as_str().unwrap().to_owned();

    // prompt=none with the hint: the same user is signed in, so a code comes back.
    let silent =
        browser.get(&openid_request(&client, &[("prompt", "none"), ("id_token_hint", &id_token)])).await;
    assert!(redirect_params(&silent).contains_key("code"), "{:?}", redirect_params(&silent));
}

#[tokio::test]
async fn a_pairwise_client_must_have_a_sector_of_its_own() {
    let app = app().await;
    let store = app.store.as_ref() as &dyn Store;
    let register = |uris: &[&str], sector: Option<&str>| ClientSpec {
        name: Some("native".into()),
        redirect_uris: Some(uris.iter().map(|uri| (*uri).to_owned()).collect()),
        pairwise: Some(true),
        sector_identifier: sector.map(str::to_owned),
        ..ClientSpec::default()
    };
    let now = app.clock.now();
    for uris in [
        &["http://127.0.0.1:9000/cb"][..],
        &["com.example.app:/callback"],
        &["https://a.example/cb", "https://b.example/cb"],
    ] {
        let refused = admin::register_client(store, register(uris, None), now).await;
        assert!(
            matches!(&refused, Err(AdminError::Invalid(message)) if message.contains("--sector-identifier")),
            "{uris:?}: {refused:?}"
        );
    }
    // Named, each is fine: a host it owns, or its own client id.
    let named =
        admin::register_client(store, register(&["http://127.0.0.1:9000/cb"], Some("app.example")), now)
            .await;
    assert!(named.is_ok(), "{named:?}");
    let own_id = ClientSpec {
        id: Some("native-app".into()),
        ..register(&["com.example.app:/cb"], Some("native-app"))
    };
    assert!(admin::register_client(store, own_id, now).await.is_ok());
    // A sector is for pairwise clients only.
    let public = ClientSpec { pairwise: None, ..register(&["https://a.example/cb"], Some("a.example")) };
    assert!(admin::register_client(store, public, now).await.is_err());
}
