//! RFC 7009: token revocation.

use serde_json::Value;

use crate::helpers::*;

impl TestApp {
    pub async fn revoke(&self, client: &TestClient, form: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self.http.post(self.url("/revoke"));
        let mut form = form.to_vec();
        match &client.secret {
            Some(secret) => request = request.basic_auth(&client.id, Some(secret)),
            None => form.push(("client_id", &client.id)),
        }
        request.form(&form).send().await.unwrap()
    }
}

fn field(body: &Value, name: &str) -> String {
    body[name].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn revoking_a_refresh_token_ends_the_whole_grant() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let first = app.tokens(&client).await;
    let refreshed: Value = app
        .token(
            &client,
            &[("grant_type", "refresh_token"), ("refresh_token", &field(&first, "refresh_token"))],
        )
        .await
        .json()
        .await
        .unwrap();
    let response = app.revoke(&client, &[("token", &field(&refreshed, "refresh_token"))]).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "");
    for token in
        [field(&first, "access_token"), field(&refreshed, "access_token"), field(&refreshed, "refresh_token")]
    {
        assert!(!app.is_active(&token).await);
    }
}

#[tokio::test]
async fn revoking_an_access_token_leaves_the_refresh_token() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let tokens = app.tokens(&client).await;
    // A wrong hint is only a hint.
    let form = [("token", field(&tokens, "access_token")), ("token_type_hint", "refresh_token".into())];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(app.revoke(&client, &form).await.status(), 200);
    assert!(!app.is_active(&field(&tokens, "access_token")).await);
    assert!(app.is_active(&field(&tokens, "refresh_token")).await);
}

#[tokio::test]
async fn unknown_and_already_revoked_tokens_answer_200() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    assert_eq!(app.revoke(&client, &[("token", "o2u_at_unknown")]).await.status(), 200);
    let tokens = app.tokens(&client).await;
    let access = field(&tokens, "access_token");
    assert_eq!(app.revoke(&client, &[("token", &access)]).await.status(), 200);
    assert_eq!(app.revoke(&client, &[("token", &access)]).await.status(), 200);
}

#[tokio::test]
async fn another_clients_token_is_refused_and_stays_active() {
    let app = TestApp::spawn().await;
    let owner = app.confidential_client().await;
    let other = app.confidential_client().await;
    let tokens = app.tokens(&owner).await;
    let access = field(&tokens, "access_token");
    assert_error(app.revoke(&other, &[("token", &access)]).await, 400, "unauthorized_client").await;
    assert!(app.is_active(&access).await);
}

#[tokio::test]
async fn public_clients_revoke_their_own_tokens_with_client_id() {
    let app = TestApp::spawn().await;
    let client = app.public_client().await;
    let tokens = app.tokens(&client).await;
    assert_eq!(app.revoke(&client, &[("token", &field(&tokens, "refresh_token"))]).await.status(), 200);
    assert!(!app.is_active(&field(&tokens, "access_token")).await);
}

#[tokio::test]
async fn an_unknown_token_type_hint_is_ignored_and_every_type_searched() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let tokens = app.tokens(&client).await;
    // RFC 7009 §2.2: a hint the server does not understand is ignored, never an error.
    let unknown = [("token", "x"), ("token_type_hint", "id_token")];
    assert_eq!(app.revoke(&client, &unknown).await.status(), 200);
    let refresh = field(&tokens, "refresh_token");
    let misleading = [("token", refresh.as_str()), ("token_type_hint", "something_else")];
    assert_eq!(app.revoke(&client, &misleading).await.status(), 200);
    assert!(!app.is_active(&field(&tokens, "access_token")).await);
}

#[tokio::test]
async fn revocation_errors() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    assert_error(app.revoke(&client, &[]).await, 400, "invalid_request").await;
    let repeated_hint =
        [("token", "x"), ("token_type_hint", "access_token"), ("token_type_hint", "access_token")];
    assert_error(app.revoke(&client, &repeated_hint).await, 400, "invalid_request").await;
    let wrong = TestClient { id: client.id.clone(), secret: Some("wrong".into()) };
    assert_error(app.revoke(&wrong, &[("token", "x")]).await, 401, "invalid_client").await;
    let get = app.http.get(app.url("/revoke")).send().await.unwrap();
    assert_error(get, 405, "invalid_request").await;
}

/// The `oauth2` crate revokes. It insists on an https revocation URL (RFC 7009 §2); the
/// test server speaks plain HTTP, so the transport below carries the crate's request
/// over http unchanged — the crate still builds the request and reads the answer.
#[tokio::test]
async fn the_oauth2_crate_revokes() {
    use oauth2::basic::BasicClient;
    use oauth2::{ClientId, ClientSecret, RevocationUrl, StandardRevocableToken, TokenUrl};

    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let tokens = app.tokens(&client).await;
    let oauth = BasicClient::new(ClientId::new(client.id.clone()))
        .set_client_secret(ClientSecret::new(client.secret.clone().unwrap()))
        .set_token_uri(TokenUrl::new(app.url("/token")).unwrap())
        .set_revocation_url(
            RevocationUrl::new(app.url("/revoke").replacen("http://", "https://", 1)).unwrap(),
        );
    let http = app.http.clone();
    let transport = move |request: oauth2::HttpRequest| {
        let http = http.clone();
        async move {
            let (parts, body) = request.into_parts();
            let url = parts.uri.to_string().replacen("https://", "http://", 1);
            let response = http.request(parts.method, url).headers(parts.headers).body(body).send().await?;
            let mut answer = oauth2::http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                answer = answer.header(name, value);
            }
            Ok::<_, reqwest::Error>(answer.body(response.bytes().await?.to_vec()).unwrap())
        }
    };

    let refresh = oauth2::RefreshToken::new(field(&tokens, "refresh_token"));
    oauth
        .revoke_token(StandardRevocableToken::RefreshToken(refresh))
        .unwrap()
        .request_async(&transport)
        .await
        .unwrap();
    assert!(!app.is_active(&field(&tokens, "access_token")).await, "the grant is gone");

    // Another client's token: the crate reports the server's error.
    let other = app.confidential_client().await;
    let others = app.tokens(&other).await;
    let access = oauth2::AccessToken::new(field(&others, "access_token"));
    let refused = oauth
        .revoke_token(StandardRevocableToken::AccessToken(access))
        .unwrap()
        .request_async(&transport)
        .await;
    assert!(format!("{refused:?}").contains("unauthorized_client"), "{refused:?}");
}
