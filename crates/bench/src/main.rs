//! `oauth2u-bench`: builds the server, starts it on a fresh database in a temporary
//! directory, provisions each scenario, drives load at a fixed concurrency for a fixed
//! time after a warm-up, and reports throughput, latency, server CPU per request, memory,
//! and the ratio to the ceiling — the same server answering `/health/live`.
//!
//! `cargo run --release -p oauth2u-bench` for a full run; `--smoke` for CI.

mod database;
mod floor;
mod load;
mod process;
mod scenarios;
mod seed;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use hyper::StatusCode;
use serde_json::{Value, json};

use database::Database;
use load::{Conn, Protocol, Stats, Window, percentile_ms};
use process::Server;
use scenarios::{Scenario, Worker, authorize_path, basic, code_of, form, get, post};

#[derive(Debug, Parser)]
#[command(about = "Measures every oauth2u endpoint against the bare HTTP stack of the same server.")]
struct Args {
    /// Measured time per scenario.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// Warm-up before each measurement.
    #[arg(long, default_value = "2s", value_parser = humantime::parse_duration)]
    warmup: Duration,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// The HTTP the load generator speaks (the server speaks both on one port).
    #[arg(long, value_enum, default_value = "http1")]
    protocol: Protocol,
    /// The cargo profile to build the server with.
    #[arg(long, default_value = "release")]
    profile: String,
    /// A short run for CI: a second per scenario, small seeds, the dev profile. Asserts no timing.
    #[arg(long)]
    smoke: bool,
    /// Seed sizes for the growth curve (live tokens before introspect / client_credentials).
    #[arg(long, value_delimiter = ',', default_value = "10000,100000,1000000")]
    growth: Vec<usize>,
    /// Run only the scenarios whose names contain one of these (comma list), e.g. `ceiling,revoke`.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// The database: a fresh SQLite file by default; with postgres://USER@HOST/DB, a fresh
    /// schema on that server (dropped afterwards).
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// Server instances on the one database; load is spread across them, and their CPU
    /// time is added up (several instances are meant for PostgreSQL).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=8))]
    instances: u16,
    /// Where the Markdown and JSON reports go.
    #[arg(long, default_value = "target/bench")]
    output: PathBuf,
}

/// One result row.
struct Row {
    name: String,
    requests: usize,
    rps: f64,
    p50: f64,
    p90: f64,
    p99: f64,
    errors: u64,
    first_error: Option<String>,
    cpu_us_per_request: f64,
    /// Context switches of the server's threads per request (threads that ended during the
    /// run are not counted: the server's pools keep theirs).
    switches_per_request: f64,
    peak_rss_mb: f64,
}

#[tokio::main]
async fn main() {
    if let Err(error) = run(Args::parse()).await {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}

async fn run(mut args: Args) -> Result<(), String> {
    if args.smoke {
        args.duration = Duration::from_secs(1);
        args.warmup = Duration::from_millis(300);
        args.profile = "dev".into();
        args.growth = vec![1_000, 10_000];
    }
    let binary = process::build(&args.profile)?;
    let dir = tempfile::tempdir().map_err(|error| error.to_string())?;
    let database = Database::fresh(args.database.as_deref(), dir.path()).await?;
    let database_url = database.url.clone();
    let server = Server::start(&binary, &database_url, dir.path(), &[], &database.env)?;
    // The others start on the database the first has migrated.
    let mut servers = vec![server];
    for _ in 1..args.instances {
        servers.push(Server::start(&binary, &database_url, dir.path(), &[], &database.env)?);
    }
    let server = &servers[0];
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (idle_rss, _) = server.memory_mb();
    eprintln!("started in {} ms, idle RSS {idle_rss:.1} MB", server.startup.as_millis());

    let setup = provision(server, &args).await?;
    let window = Window { warmup: args.warmup, measure: args.duration, protocol: args.protocol };
    let mut rows = Vec::new();
    let wanted =
        |name: &str| args.only.is_empty() || args.only.iter().any(|part| name.contains(part.as_str()));
    for (name, scenario) in setup.scenarios {
        if !wanted(&name) {
            continue;
        }
        eprintln!("measuring {name}…");
        rows.push(measure(&servers, &name, Arc::new(scenario), window, args.concurrency).await);
    }
    let mut seeded = 0;
    let growth = if args.only.is_empty() || args.only.iter().any(|part| part == "growth") {
        args.growth.clone()
    } else {
        Vec::new()
    };
    for size in &growth {
        eprintln!("seeding {size} live tokens…");
        seed::tokens(&database_url, &setup.filler_client, size.saturating_sub(seeded), false).await?;
        seeded = *size;
        let introspect =
            Scenario::Introspect { basic: setup.service_basic.clone(), tokens: setup.opaque_tokens.clone() };
        let issue = Scenario::ClientCredentials { basic: setup.service_basic.clone() };
        for (label, scenario) in [("introspect", introspect), ("client_credentials", issue)] {
            let name = format!("{label} @ {size} tokens");
            eprintln!("measuring {name}…");
            rows.push(measure(&servers, &name, Arc::new(scenario), window, args.concurrency).await);
        }
    }
    let reported = report(&args, server, idle_rss, &rows, database.engine());
    drop(servers);
    database.drop().await;
    reported
}

struct Setup {
    scenarios: Vec<(String, Scenario)>,
    service_basic: String,
    opaque_tokens: Arc<Vec<String>>,
    filler_client: String,
}

fn client(server: &Server, args: &[&str]) -> Result<(String, String), String> {
    let mut all = vec!["clients", "add", "--json"];
    all.extend_from_slice(args);
    let added: Value = serde_json::from_str(&server.admin(&all, None)?).map_err(|error| error.to_string())?;
    let text = |field: &str| added[field].as_str().unwrap_or_default().to_owned();
    Ok((text("client_id"), text("client_secret")))
}

async fn provision(server: &Server, args: &Args) -> Result<Setup, String> {
    server.admin(&["users", "add", "bench", "--password-stdin"], Some("bench password\n"))?;
    let (service, service_secret) =
        client(server, &["--name", "svc", "--grant-types", "client_credentials", "--scopes", "read"])?;
    let (jwt_service, jwt_secret) = client(
        server,
        &[
            "--name",
            "svc-jwt",
            "--grant-types",
            "client_credentials",
            "--scopes",
            "read",
            "--access-token-format",
            "jwt",
        ],
    )?;
    let (web, web_secret) =
        client(server, &["--name", "web", "--redirect-uri", "https://client.bench/cb", "--scopes", "read"])?;
    let (filler, _) =
        client(server, &["--name", "filler", "--grant-types", "client_credentials", "--scopes", "read"])?;
    let service_basic = basic(&service, &service_secret);
    let jwt_basic = basic(&jwt_service, &jwt_secret);
    let web_basic = basic(&web, &web_secret);

    let mut conn = Conn::open(&server.address, args.protocol).await?;
    let opaque_tokens = Arc::new(issue_tokens(&mut conn, &service_basic, 256).await?);
    let jwt_tokens = Arc::new(issue_tokens(&mut conn, &jwt_basic, 256).await?);
    let cookie = sign_in_with_remembered_consent(&mut conn, &web).await?;
    let mut refresh_seeds = Vec::new();
    for _ in 0..args.concurrency * 2 {
        let (parts, _) = conn
            .send(get(&authorize_path(&web), Some(&cookie)), StatusCode::FOUND)
            .await
            .ok_or("authorize")?;
        let code = code_of(&parts).ok_or("no code")?;
        let body = form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code_verifier", scenarios::VERIFIER),
        ]);
        let (_, body) =
            conn.send(post("/token", &web_basic, body), StatusCode::OK).await.ok_or("code exchange")?;
        let json: Value = serde_json::from_slice(&body).map_err(|error| error.to_string())?;
        refresh_seeds.push(json["refresh_token"].as_str().ok_or("no refresh token")?.to_owned());
    }
    // Enough distinct tokens to revoke for the whole run, even at a high rate.
    let revocable =
        if args.smoke { 20_000 } else { 25_000 * (args.duration + args.warmup).as_secs().max(1) as usize };
    let pool = seed::tokens(&server.database_url, &service, revocable, true).await?;

    let scenarios = vec![
        ("ceiling (GET /health/live)".to_owned(), Scenario::Ceiling),
        (
            "client_credentials (opaque)".to_owned(),
            Scenario::ClientCredentials { basic: service_basic.clone() },
        ),
        (
            "client_credentials (JWT, ES256)".to_owned(),
            Scenario::ClientCredentials { basic: jwt_basic.clone() },
        ),
        (
            "introspect (opaque)".to_owned(),
            Scenario::Introspect { basic: service_basic.clone(), tokens: opaque_tokens.clone() },
        ),
        ("introspect (JWT)".to_owned(), Scenario::Introspect { basic: jwt_basic, tokens: jwt_tokens }),
        (
            "refresh (rotation)".to_owned(),
            Scenario::Refresh { basic: web_basic.clone(), seeds: Arc::new(Mutex::new(refresh_seeds)) },
        ),
        (
            "authorization_code (authorize + token, PKCE)".to_owned(),
            Scenario::AuthorizationCode { basic: web_basic, client_id: web, cookie },
        ),
        (
            "revoke".to_owned(),
            Scenario::Revoke { basic: service_basic.clone(), pool: Arc::new(Mutex::new(pool)) },
        ),
        (
            "hostile body (64 KiB of distinct names, refused)".to_owned(),
            Scenario::HostileBody { body: Arc::new(scenarios::hostile_body()) },
        ),
    ];
    Ok(Setup { scenarios, service_basic, opaque_tokens, filler_client: filler })
}

async fn issue_tokens(conn: &mut Conn, basic: &str, count: usize) -> Result<Vec<String>, String> {
    let mut tokens = Vec::new();
    for _ in 0..count {
        let (_, body) = conn
            .send(post("/token", basic, "grant_type=client_credentials".into()), StatusCode::OK)
            .await
            .ok_or("client_credentials failed while provisioning")?;
        let json: Value = serde_json::from_slice(&body).map_err(|error| error.to_string())?;
        tokens.push(json["access_token"].as_str().ok_or("no access_token")?.to_owned());
    }
    Ok(tokens)
}

/// Through the real login and consent forms, once, remembering consent.
async fn sign_in_with_remembered_consent(conn: &mut Conn, client_id: &str) -> Result<String, String> {
    let cookie_of = |parts: &hyper::http::response::Parts| {
        parts
            .headers
            .get(hyper::header::SET_COOKIE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .map(str::to_owned)
    };
    let (parts, page) =
        conn.send(get(&authorize_path(client_id), None), StatusCode::OK).await.ok_or("login page")?;
    let cookie = cookie_of(&parts).ok_or("no session cookie")?;
    let page = String::from_utf8_lossy(&page).into_owned();
    let login = form(&[
        ("csrf_token", &hidden(&page, "csrf_token")?),
        ("request", &hidden(&page, "request")?),
        ("username", "bench"),
        ("password", "bench password"),
    ]);
    let mut request = post("/login", "", login);
    request.headers_mut().remove(hyper::header::AUTHORIZATION);
    request.headers_mut().insert(hyper::header::COOKIE, cookie.parse().map_err(|_| "cookie")?);
    let (parts, _) = conn.send(request, StatusCode::SEE_OTHER).await.ok_or("login")?;
    let cookie = cookie_of(&parts).ok_or("no session after login")?;
    let (_, page) = conn
        .send(get(&authorize_path(client_id), Some(&cookie)), StatusCode::OK)
        .await
        .ok_or("consent page")?;
    let page = String::from_utf8_lossy(&page).into_owned();
    let consent = form(&[
        ("csrf_token", &hidden(&page, "csrf_token")?),
        ("request", &hidden(&page, "request")?),
        ("decision", "allow"),
        ("remember", "yes"),
    ]);
    let mut request = post("/consent", "", consent);
    request.headers_mut().remove(hyper::header::AUTHORIZATION);
    request.headers_mut().insert(hyper::header::COOKIE, cookie.parse().map_err(|_| "cookie")?);
    let (parts, _) = conn.send(request, StatusCode::SEE_OTHER).await.ok_or("consent")?;
    cookie_of(&parts).ok_or_else(|| "no session after consent".to_owned())
}

fn hidden(page: &str, name: &str) -> Result<String, String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).ok_or(format!("no {name} on the page"))? + marker.len();
    let end = start + page[start..].find('"').ok_or("unterminated")?;
    Ok(page[start..end]
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">"))
}

async fn measure(
    servers: &[Server],
    name: &str,
    scenario: Arc<Scenario>,
    window: Window,
    concurrency: usize,
) -> Row {
    let started = Instant::now();
    let warm_end = started + window.warmup;
    let end = warm_end + window.measure;
    let mut workers = Vec::new();
    for index in 0..concurrency {
        // Connections are spread over the instances, as a load balancer would.
        let (scenario, address) = (scenario.clone(), servers[index % servers.len()].address.clone());
        workers.push(tokio::spawn(async move {
            let Ok(mut conn) = Conn::open(&address, window.protocol).await else {
                return Stats { errors: 1, first_error: Some("cannot connect".into()), ..Stats::default() };
            };
            let mut worker = Worker::default();
            loop {
                let now = Instant::now();
                if now >= end {
                    break;
                }
                conn.recording = now >= warm_end;
                scenario.step(&mut conn, &mut worker).await;
            }
            conn.stats
        }));
    }
    tokio::time::sleep_until(warm_end.into()).await;
    let cpu_time = || servers.iter().map(Server::cpu_time).sum::<Duration>();
    let switches = || servers.iter().map(Server::context_switches).sum::<u64>();
    let cpu_before = cpu_time();
    let switches_before = switches();
    let measured_from = Instant::now();
    tokio::time::sleep_until(end.into()).await;
    let cpu = cpu_time().saturating_sub(cpu_before);
    let switched = switches().saturating_sub(switches_before);
    let elapsed = measured_from.elapsed().as_secs_f64();
    let mut stats = Stats::default();
    for worker in workers {
        if let Ok(worker) = worker.await {
            stats.merge(worker);
        }
    }
    stats.latencies_us.sort_unstable();
    let requests = stats.latencies_us.len();
    let peak_rss_mb = servers.iter().map(|server| server.memory_mb().1).fold(0.0, f64::max);
    Row {
        name: name.to_owned(),
        requests,
        rps: requests as f64 / elapsed,
        p50: percentile_ms(&stats.latencies_us, 0.50),
        p90: percentile_ms(&stats.latencies_us, 0.90),
        p99: percentile_ms(&stats.latencies_us, 0.99),
        errors: stats.errors,
        first_error: stats.first_error,
        cpu_us_per_request: if requests > 0 { cpu.as_secs_f64() * 1e6 / requests as f64 } else { 0.0 },
        switches_per_request: if requests > 0 { switched as f64 / requests as f64 } else { 0.0 },
        peak_rss_mb,
    }
}

fn report(args: &Args, server: &Server, idle_rss: f64, rows: &[Row], engine: &str) -> Result<(), String> {
    let ceiling = rows.first().map_or(1.0, |row| row.rps.max(1.0));
    let mut markdown = String::from(
        "| scenario | req/s | p50 ms | p90 ms | p99 ms | errors | server CPU µs/req | ctx switches/req | peak RSS MB | of ceiling |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for row in rows {
        markdown.push_str(&format!(
            "| {} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {:.1} | {:.2} | {:.1} | {:.0} % |\n",
            row.name,
            row.rps,
            row.p50,
            row.p90,
            row.p99,
            row.errors,
            row.cpu_us_per_request,
            row.switches_per_request,
            row.peak_rss_mb,
            100.0 * row.rps / ceiling
        ));
    }
    markdown.push_str(&format!(
        "\nDatabase: {engine}, {} instance(s). Start to first 200 on /health/live: {} ms (fresh database). Idle RSS: {idle_rss:.1} MB. \
         Concurrency {} over {}, {} s measured after {} s warm-up per scenario, `{}` profile, load generator on the same machine.\n",
        args.instances,
        server.startup.as_millis(),
        args.concurrency,
        match args.protocol {
            Protocol::Http1 => "HTTP/1.1",
            Protocol::Http2 => "HTTP/2 (h2c)",
        },
        args.duration.as_secs_f64(),
        args.warmup.as_secs_f64(),
        args.profile
    ));
    let cpu_of =
        |name: &str| rows.iter().find(|row| row.name.starts_with(name)).map(|row| row.cpu_us_per_request);
    if let (Some(jwt), Some(opaque)) =
        (cpu_of("client_credentials (JWT"), cpu_of("client_credentials (opaque)"))
    {
        let floor = floor::es256_signature_us(Duration::from_secs(1))?;
        markdown.push_str(&format!(
            "ES256 signature floor (ring, one core, measured in the load generator): {floor:.1} µs. \
             A JWT client_credentials request costs the server {:.1} µs more than an opaque one.\n",
            jwt - opaque
        ));
    }
    let (ring, rust_crypto) = floor::es256_verification_us(Duration::from_secs(1))?;
    markdown.push_str(&format!(
        "ES256 verification through jsonwebtoken (one core, in the load generator): {ring:.1} µs on ring \
         (the provider the server, guard and client install), {rust_crypto:.1} µs on RustCrypto.\n"
    ));
    println!("{markdown}");
    let failed: Vec<&Row> = rows.iter().filter(|row| row.errors > 0 || row.requests == 0).collect();
    for row in &failed {
        eprintln!(
            "{}: {} errors, first: {}",
            row.name,
            row.errors,
            row.first_error.as_deref().unwrap_or("no requests completed")
        );
    }
    let json = json!({
        "startup_ms": server.startup.as_millis() as u64,
        "idle_rss_mb": idle_rss,
        "concurrency": args.concurrency,
        "protocol": format!("{:?}", args.protocol),
        "duration_s": args.duration.as_secs_f64(),
        "profile": args.profile,
        "scenarios": rows.iter().map(|row| json!({
            "name": row.name, "requests": row.requests, "rps": row.rps, "p50_ms": row.p50, "p90_ms": row.p90,
            "p99_ms": row.p99, "errors": row.errors, "cpu_us_per_request": row.cpu_us_per_request,
            "switches_per_request": row.switches_per_request, "peak_rss_mb": row.peak_rss_mb, "ceiling_ratio": row.rps / ceiling,
        })).collect::<Vec<_>>(),
    });
    std::fs::create_dir_all(&args.output).map_err(|error| error.to_string())?;
    std::fs::write(args.output.join("results.md"), &markdown).map_err(|error| error.to_string())?;
    std::fs::write(args.output.join("results.json"), json.to_string()).map_err(|error| error.to_string())?;
    eprintln!("reports written to {}", args.output.display());
    // A run with errors is not a result.
    if failed.is_empty() { Ok(()) } else { Err(format!("{} scenario(s) had errors", failed.len())) }
}
