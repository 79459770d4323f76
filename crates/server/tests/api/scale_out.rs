//! Several instances on one database: nothing that matters lives in one process, and
//! single use holds across instances, because the database decides.

use futures::future::join_all;
use serde_json::Value;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_walks_through_two_instances_as_if_they_were_one() {
    let a = TestApp::spawn_with(|settings| settings.auto_approve = None).await;
    let b = a.spawn_beside(|settings| settings.auto_approve = None).await;
    let client = a.confidential_client().await;

    // Sign-in and consent on A; the session, its CSRF token and the code live in the database.
    let mut browser = Browser::new(&a);
    let redirect = browser.sign_in_and_allow(&client).await;
    assert_eq!(redirect.status(), 303);
    let code = redirect_params(&redirect)["code"].clone();

    // The same browser session is known on B.
    let mut on_b = Browser { app: &b, cookie: browser.cookie.clone(), forwarded_for: None };
    let page = on_b.get(&format!("/authorize?response_type=code&client_id={}&state=s2", client.id)).await;
    assert_eq!(page.status(), 200, "B shows the consent page to the signed-in user, not the login page");
    assert!(page.text().await.unwrap().contains("name=\"decision\""));

    // The code is exchanged on B, refreshed on A, introspected on B.
    let response = b
        .token(&client, &[("grant_type", "authorization_code"), ("code", &code), ("code_verifier", VERIFIER)])
        .await;
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    let response = a
        .token(
            &client,
            &[("grant_type", "refresh_token"), ("refresh_token", tokens["refresh_token"].as_str().unwrap())],
        )
        .await;
    assert_eq!(response.status(), 200);
    let refreshed: Value = response.json().await.unwrap();
    let access = refreshed["access_token"].as_str().unwrap();
    assert_eq!(b.introspection(&client, access).await["active"], true);

    // Revoked on A: inactive on B at once.
    assert_eq!(a.revoke(&client, &[("token", access)]).await.status(), 200);
    assert_eq!(b.introspection(&client, access).await["active"], false);
}

async fn successes(responses: Vec<reqwest::Response>) -> usize {
    let mut ok = 0;
    for response in responses {
        match response.status().as_u16() {
            200 => ok += 1,
            400 => assert_eq!(response.json::<Value>().await.unwrap()["error"], "invalid_grant"),
            other => panic!("unexpected status {other}"),
        }
    }
    ok
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_code_sent_to_two_instances_at_once_yields_one_token_response_every_time() {
    let a = TestApp::spawn().await;
    let b = a.spawn_beside(|_| {}).await;
    let client = a.confidential_client().await;
    for _ in 0..20 {
        let code = a.code(&client).await;
        let form =
            [("grant_type", "authorization_code"), ("code", code.as_str()), ("code_verifier", VERIFIER)];
        let responses = join_all(
            (0..8).map(|i| if i % 2 == 0 { a.token(&client, &form) } else { b.token(&client, &form) }),
        )
        .await;
        assert_eq!(successes(responses).await, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_refresh_token_sent_to_two_instances_at_once_rotates_once_every_time() {
    let a = TestApp::spawn().await;
    let b = a.spawn_beside(|_| {}).await;
    let client = a.confidential_client().await;
    for _ in 0..20 {
        let tokens = a.tokens(&client).await;
        let refresh = tokens["refresh_token"].as_str().unwrap();
        let form = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
        let responses = join_all(
            (0..8).map(|i| if i % 2 == 0 { a.token(&client, &form) } else { b.token(&client, &form) }),
        )
        .await;
        assert_eq!(successes(responses).await, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_starting_together_on_a_new_database_migrate_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::database::fresh_database(dir.path()).await;
    let settings = oauth2u::Settings { database_url: url.clone(), ..oauth2u::Settings::default() };
    let opened = join_all((0..4).map(|_| oauth2u::database::open(&settings))).await;
    for store in opened {
        let store = store.unwrap();
        assert!(store.clients().await.unwrap().is_empty(), "every instance sees the migrated schema");
    }
    crate::database::drop_database(&url);
}

/// Rolling upgrade: version N keeps running on the schema of version N+1 while N+1's
/// migrations were additive, and is refused, clearly, once one says it is not.
#[tokio::test]
async fn an_older_version_runs_on_a_newer_compatible_schema_and_refuses_an_incompatible_one() {
    use crate::database::{Engine, engine, execute};
    let app = TestApp::spawn().await;
    let client = app.service_client().await;
    let checksum = if engine() == Engine::Postgres { "'\\x00'::bytea" } else { "x'00'" };
    // What version N+1 would have done: one more migration, additive.
    execute(&app.database_url, "ALTER TABLE tokens ADD COLUMN added_later TEXT").await;
    execute(
        &app.database_url,
        &format!(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
             VALUES (999, 'from the future', TRUE, {checksum}, 0)"
        ),
    )
    .await;
    let older = app.spawn_beside(|_| {}).await;
    assert_eq!(older.token(&client, &[("grant_type", "client_credentials")]).await.status(), 200);

    execute(&app.database_url, "UPDATE oauth2u_schema SET compatible_from = 999").await;
    let settings =
        oauth2u::Settings { database_url: app.database_url.clone(), ..oauth2u::Settings::default() };
    let error = oauth2u::database::open(&settings).await.err().unwrap().to_string();
    assert!(error.contains("not compatible") && error.contains("upgrade oauth2u"), "{error}");
}

/// A scheduled key rotation due on every instance at once makes one key, not one each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_due_key_rotation_happens_once_across_instances() {
    use oauth2u::core::admin::ClientSpec;
    use oauth2u::core::config::TokenFormat;
    use oauth2u::core::model::GrantType;
    let day = std::time::Duration::from_secs(86_400);
    let a = TestApp::spawn_with(|settings| settings.key_rotation_interval = Some(day)).await;
    let b = a.spawn_beside(|settings| settings.key_rotation_interval = Some(day)).await;
    let client = a
        .register(ClientSpec {
            name: Some("jwt service".into()),
            grant_types: Some(vec![GrantType::ClientCredentials]),
            scopes: Some("read".into()),
            access_token_format: Some(TokenFormat::Jwt),
            ..ClientSpec::default()
        })
        .await;
    let form = [("grant_type", "client_credentials")];
    assert_eq!(a.token(&client, &form).await.status(), 200);
    // The access tokens' keys (the ID tokens' keys are made beside them, for the JWKS).
    let keys = "SELECT COUNT(*) FROM signing_keys WHERE alg = 'ES256'";
    assert_eq!(crate::database::count(&a.database_url, keys).await, 1);

    // Several rotations, each due on both instances at the same moment.
    for made in 2..=6 {
        a.clock.advance(2 * day); // past the newest key's activation plus the interval
        let responses = join_all(
            (0..16).map(|i| if i % 2 == 0 { a.token(&client, &form) } else { b.token(&client, &form) }),
        )
        .await;
        assert!(responses.iter().all(|response| response.status() == 200));
        assert_eq!(crate::database::count(&a.database_url, keys).await, made, "one successor, made once");
    }
}
