//! A full disk, or a file-size limit, on SQLite: the requests of a failed batch get 503
//! `temporarily_unavailable` with `Retry-After` and none is told it succeeded; reads go on;
//! when space returns the writer recovers without a restart, and nothing acknowledged is
//! lost. The limit is RLIMIT_FSIZE, set on the running server with `prlimit`.

use std::process::Command;

use serde_json::Value;

use super::durability::serve;
use crate::helpers::*;

fn prlimit(pid: u32, limit: &str) {
    let status =
        Command::new("prlimit").args(["--pid", &pid.to_string(), &format!("--fsize={limit}")]).status();
    assert!(status.is_ok_and(|status| status.success()), "prlimit --fsize={limit}");
}

async fn token(http: &reqwest::Client, base: &str, client: &TestClient) -> reqwest::Response {
    http.post(format!("{base}/token"))
        .basic_auth(&client.id, client.secret.as_deref())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
}

async fn active(http: &reqwest::Client, base: &str, client: &TestClient, token: &str) -> reqwest::Response {
    http.post(format!("{base}/introspect"))
        .basic_auth(&client.id, client.secret.as_deref())
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_503_for_the_failed_writes_and_the_writer_recovers_without_a_restart() {
    if crate::database::engine() != crate::database::Engine::Sqlite {
        return; // the database's disk is PostgreSQL's to manage
    }
    if Command::new("prlimit").arg("--version").output().is_err() {
        assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "CI=true: prlimit (util-linux) is required");
        eprintln!("skipped: prlimit (util-linux) is not installed");
        return;
    }
    let mut app = TestApp::spawn().await;
    let service = app.service_client().await;
    app.stop();
    let (mut server, base) = serve(&app);
    let pid = server.0.id();
    let http = reqwest::Client::new();
    let mut acknowledged = Vec::new();
    for _ in 0..5 {
        let body: Value = token(&http, &base, &service).await.json().await.unwrap();
        acknowledged.push(body["access_token"].as_str().unwrap().to_owned());
    }

    // No file of the server's may grow past 64 KiB: the WAL fills, and writes fail.
    prlimit(pid, "65536:unlimited");
    let mut refused = 0;
    for _ in 0..5000 {
        let response = token(&http, &base, &service).await;
        if response.status() == 200 {
            let body: Value = response.json().await.unwrap();
            acknowledged.push(body["access_token"].as_str().unwrap().to_owned());
            continue;
        }
        assert_eq!(response.headers()["retry-after"], "5");
        assert_error(response, 503, "temporarily_unavailable").await;
        refused += 1;
        if refused == 20 {
            break;
        }
    }
    assert_eq!(refused, 20, "writes fail once the files cannot grow");
    // Reads go on.
    let read = active(&http, &base, &service, &acknowledged[0]).await;
    assert_eq!(read.status(), 200);
    assert_eq!(read.json::<Value>().await.unwrap()["active"], true);

    // Space returns: the same process writes again.
    prlimit(pid, "unlimited:unlimited");
    let mut recovered = false;
    for _ in 0..50 {
        let response = token(&http, &base, &service).await;
        if response.status() == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(recovered, "the writer recovers without a restart");

    // Nothing acknowledged was lost, even across a kill -9.
    server.kill_9();
    let (mut restarted, base) = serve(&app);
    for token in &acknowledged {
        let body: Value = active(&http, &base, &service, token).await.json().await.unwrap();
        assert_eq!(body["active"], true, "an acknowledged token was lost");
    }
    restarted.kill_9();
}
