//! The `openidconnect` crate — a relying party nobody here wrote, with its own JOSE code —
//! against our server: Discovery, the code flow with PKCE and a nonce, its ID token
//! verification (signature, claims, at_hash), userinfo, and refresh.

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdTokenClaims, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};

use oauth2::reqwest::redirect::Policy;
use oauth2u::core::admin::{self, ClientSpec};

use super::client_commands::client_app_with_pages;
use crate::helpers::*;

#[tokio::test]
async fn the_openidconnect_crate_signs_in_verifies_calls_userinfo_and_refreshes() {
    let app = client_app_with_pages().await;
    let changes =
        serde_json::json!({"name": "Alice Liddell", "email": "alice@example.com", "email_verified": true});
    admin::update_user_claims(app.store.as_ref(), USERNAME, changes.as_object().unwrap().clone())
        .await
        .unwrap();
    let registered = app
        .register(ClientSpec {
            name: Some("relying party".into()),
            redirect_uris: Some(vec![REDIRECT_URI.into()]),
            scopes: Some("openid profile email".into()),
            ..ClientSpec::default()
        })
        .await;
    let http = openidconnect::reqwest::Client::builder().redirect(Policy::none()).build().unwrap();

    // The crate reads the JWKS once, at discovery, and never again: the RS256 key its ID
    // token will name must be in that first JWKS already.
    // Discovery 1.0 §4, with the crate's own checks of the document (issuer, required members).
    let issuer = IssuerUrl::new(app.base.clone()).unwrap();
    let metadata = CoreProviderMetadata::discover_async(issuer, &http).await.expect("discovery");
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(registered.id.clone()),
        registered.secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.into()).unwrap());

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = client
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();

    // The person at the browser: the real login and consent pages.
    let mut browser = Browser::new(&app);
    let login = browser.get(url.as_str()).await.text().await.unwrap();
    let after_login = browser.login(&login, USERNAME, PASSWORD).await;
    let consent =
        browser.get(after_login.headers()["location"].to_str().unwrap()).await.text().await.unwrap();
    let back = browser.consent(&consent, "allow", false).await;
    let params = redirect_params(&back);
    assert_eq!(&params["state"], csrf.secret());

    let tokens = client
        .exchange_code(AuthorizationCode::new(params["code"].clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("the token response");
    let id_token = tokens.id_token().expect("an ID token");
    let id_verifier = client.id_token_verifier();
    let claims: &CoreIdTokenClaims = id_token.claims(&id_verifier, &nonce).expect("the crate verifies it");
    assert_eq!(claims.subject().as_str(), app.subject);
    assert!(claims.auth_time().is_some());
    let at_hash = claims.access_token_hash().expect("at_hash");
    let actual = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&id_verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(*at_hash, actual);

    // Core §5.3, with the claims the scopes release.
    let userinfo: CoreUserInfoClaims = client
        .user_info(tokens.access_token().clone(), Some(claims.subject().clone()))
        .unwrap()
        .request_async(&http)
        .await
        .expect("userinfo");
    assert_eq!(userinfo.email().map(|email| email.as_str()), Some("alice@example.com"));
    assert_eq!(userinfo.email_verified(), Some(true));
    let name = userinfo.name().and_then(|name| name.get(None)).map(|name| name.as_str().to_owned());
    assert_eq!(name.as_deref(), Some("Alice Liddell"));

    // Core §12.2: a refresh, and its new ID token verifies too (no nonce to check).
    let refreshed = client
        .exchange_refresh_token(tokens.refresh_token().expect("a refresh token"))
        .unwrap()
        .request_async(&http)
        .await
        .expect("the refresh");
    let refreshed_id_token = refreshed.id_token().expect("§12.2: a new ID token");
    let refreshed_claims =
        refreshed_id_token.claims(&id_verifier, |_: Option<&Nonce>| Ok(())).expect("it verifies");
    assert_eq!(refreshed_claims.subject(), claims.subject());
    assert_eq!(refreshed_claims.auth_time(), claims.auth_time());
}

/// RFC 7591 driven by the `openidconnect` crate's own registration client: it finds
/// `registration_endpoint` in Discovery, registers with an initial access token, and reads
/// our 201 answer with its own types; its invalid requests get our §3.2.2 errors.
#[tokio::test]
async fn the_openidconnect_crate_registers_a_client_dynamically() {
    use oauth2u::core::Clock;
    use openidconnect::core::{CoreClientRegistrationRequest, CoreGrantType};
    use openidconnect::registration::EmptyAdditionalClientMetadata;
    use openidconnect::{AccessToken, ClientName, LocalizedClaim};

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app = TestApp::spawn_with(|settings| {
        settings.port = port;
        settings.issuer = Some(format!("http://127.0.0.1:{port}"));
        settings.registration.mode = oauth2u::core::config::RegistrationMode::Token;
    })
    .await;
    let initial =
        admin::add_registration_token(app.store.as_ref(), None, Some(1), app.clock.now()).await.unwrap();
    let http = openidconnect::reqwest::Client::builder().redirect(Policy::none()).build().unwrap();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(app.base.clone()).unwrap(), &http).await.unwrap();
    let endpoint =
        metadata.registration_endpoint().expect("Discovery names the registration endpoint").clone();

    let mut name = LocalizedClaim::new();
    name.insert(None, ClientName::new("Crate-made client".into()));
    let request = CoreClientRegistrationRequest::new(
        vec![RedirectUrl::new(REDIRECT_URI.into()).unwrap()],
        EmptyAdditionalClientMetadata::default(),
    )
    .set_client_name(Some(name))
    .set_grant_types(Some(vec![CoreGrantType::AuthorizationCode, CoreGrantType::RefreshToken]))
    .set_initial_access_token(Some(AccessToken::new(initial.expose().to_owned())));
    let response = request.register_async(&endpoint, &http).await.expect("registered");
    let id = response.client_id().as_str().to_owned();
    assert!(response.client_secret().is_some());
    assert!(response.registration_access_token().is_some());
    assert_eq!(
        response.registration_client_uri().map(|uri| uri.as_str().to_owned()),
        Some(format!("{}/register/{id}", app.base))
    );
    let stored = app.store.client(&id).await.unwrap().unwrap();
    assert_eq!(stored.name, "Crate-made client");
    assert_eq!(stored.redirect_uris.iter().map(|uri| uri.as_str()).collect::<Vec<_>>(), [REDIRECT_URI]);

    // The token had one use: the crate reads our refusal as its error type.
    let again = request.register_async(&endpoint, &http).await;
    assert!(again.is_err(), "a used-up initial access token is refused");
}
