//! A token response is sent only after what it describes is committed: the real binary,
//! under load, killed with SIGKILL and started again, has lost nothing it answered.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::helpers::*;

/// A server process, killed at the latest when the test ends, passed or failed.
pub(crate) struct Process(pub(crate) Child);

impl Process {
    /// SIGKILL: no shutdown, no flush.
    pub(crate) fn kill_9(&mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `oauth2u serve` on the test's database and an ephemeral port; returns it and its URL.
pub(crate) fn serve(app: &TestApp) -> (Process, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_oauth2u"))
        .args(["serve", "--port", "0", "--database", &app.database_url, "--log-format", "json"])
        .envs(app.master_key.as_ref().map(|key| ("OAUTH2U_MASTER_KEY", key)))
        .env_remove("OAUTH2U_CONFIG")
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut process = Process(child);
    let mut stderr = BufReader::new(process.0.stderr.take().unwrap());
    loop {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "the server exited before listening");
        let parsed: Value = serde_json::from_str(&line).unwrap_or_default();
        if parsed["fields"]["message"] == "oauth2u listening" {
            let address = parsed["fields"]["address"].as_str().unwrap().to_owned();
            // Keep reading its log so that it never blocks on a full pipe.
            std::thread::spawn(move || for _ in stderr.lines() {});
            return (process, address);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_answered_before_a_kill_9_are_all_there_after_the_restart() {
    let app = TestApp::spawn().await;
    let service = app.service_client().await;
    let web = app.confidential_client().await;
    let first_refresh = app.tokens(&web).await["refresh_token"].as_str().unwrap().to_owned();
    let (mut server, base) = serve(&app);
    let http = reqwest::Client::new();

    // Load: client credentials on six connections, and one refresh-token chain rotating.
    // Each access token the clients received, with whether it is the web client's.
    let received = Arc::new(Mutex::new(Vec::<(String, bool)>::new()));
    let latest_refresh = Arc::new(Mutex::new(first_refresh));
    let mut load = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let (http, base, received) = (http.clone(), base.clone(), received.clone());
        let (id, secret) = (service.id.clone(), service.secret.clone());
        load.spawn(async move {
            loop {
                let sent = http
                    .post(format!("{base}/token"))
                    .basic_auth(&id, secret.as_deref())
                    .form(&[("grant_type", "client_credentials")])
                    .send()
                    .await;
                let Ok(response) = sent else { return }; // the server is gone
                let Ok(body) = response.json::<Value>().await else { return };
                received.lock().unwrap().push((body["access_token"].as_str().unwrap().to_owned(), false));
            }
        });
    }
    {
        let (http, base, received, latest) =
            (http.clone(), base.clone(), received.clone(), latest_refresh.clone());
        let (id, secret) = (web.id.clone(), web.secret.clone());
        load.spawn(async move {
            loop {
                let refresh = latest.lock().unwrap().clone();
                let sent = http
                    .post(format!("{base}/token"))
                    .basic_auth(&id, secret.as_deref())
                    .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh.as_str())])
                    .send()
                    .await;
                let Ok(response) = sent else { return };
                let Ok(body) = response.json::<Value>().await else { return };
                received.lock().unwrap().push((body["access_token"].as_str().unwrap().to_owned(), true));
                *latest.lock().unwrap() = body["refresh_token"].as_str().unwrap().to_owned();
            }
        });
    }
    while received.lock().unwrap().len() < 300 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    server.kill_9();
    load.join_all().await;

    let (mut restarted, base) = serve(&app);
    let received = received.lock().unwrap().clone();
    for (token, of_web) in &received {
        // A client may introspect only its own tokens.
        let owner = if *of_web { &web } else { &service };
        let body: Value = http
            .post(format!("{base}/introspect"))
            .basic_auth(&owner.id, owner.secret.as_deref())
            .form(&[("token", token.as_str())])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["active"], true, "a token answered before the kill was lost");
    }
    // The last refresh token the client received is there. A rotation may have committed
    // whose answer the kill swallowed: then the token is rotated and its successor stored
    // (checked below), and presenting it is a replay the server must refuse. Otherwise it
    // still works.
    let refresh = latest_refresh.lock().unwrap().clone();
    if app.record(&refresh).await.rotated_at.is_none() {
        let response = http
            .post(format!("{base}/token"))
            .basic_auth(&web.id, web.secret.as_deref())
            .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    // No half-written grant: every rotated refresh token's successor exists, with its access token.
    let orphans = crate::database::count(
        &app.database_url,
        "SELECT COUNT(*) FROM tokens r WHERE r.rotated_at IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM tokens s WHERE s.hash = r.successor)
            OR r.kind = 'refresh' AND NOT EXISTS (SELECT 1 FROM tokens a WHERE a.paired_refresh = r.hash)",
    )
    .await;
    assert_eq!(orphans, 0);
    restarted.kill_9();
}
