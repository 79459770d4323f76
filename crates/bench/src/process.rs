//! The server under test: built, started on a fresh database, and watched through `/proc`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    child: Child,
    pub address: String,
    pub database_url: String,
    /// Environment for the server and its command line.
    pub env: Vec<(String, String)>,
    pub binary: PathBuf,
    pub startup: Duration,
}

/// `cargo build` of the server binary in `profile`; returns its path.
pub fn build(profile: &str) -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    eprintln!("building the server ({profile} profile)…");
    let status = Command::new(cargo)
        .args(["build", "--profile", profile, "-p", "oauth2u", "--bin", "oauth2u"])
        .status()
        .map_err(|error| error.to_string())?;
    if !status.success() {
        return Err("cargo build failed".into());
    }
    let dir = if profile == "dev" { "debug" } else { profile };
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    let binary = Path::new(&target).join(dir).join("oauth2u");
    // Absolute: the server runs in its own temporary directory.
    binary.canonicalize().map_err(|error| format!("{}: {error}", binary.display()))
}

impl Server {
    /// Starts `binary serve` on a free port with `database_url` and waits for `/health/live`.
    pub fn start(
        binary: &Path,
        database_url: &str,
        dir: &Path,
        extra: &[&str],
        env: &[(String, String)],
    ) -> Result<Self, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        // The configuration users run: default logging (a line per request), written to a
        // file as a service manager would collect it, not silenced with RUST_LOG=warn.
        let log =
            std::fs::File::create(dir.join("server.log")).map_err(|error| format!("server.log: {error}"))?;
        let started = Instant::now();
        let child = Command::new(binary)
            .current_dir(dir)
            .args(["--database", database_url, "serve", "--port", &port.to_string()])
            .args(extra)
            .envs(env.iter().cloned())
            .env_remove("RUST_LOG")
            .env_remove("OAUTH2U_CONFIG")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|error| format!("cannot start {}: {error}", binary.display()))?;
        let address = format!("127.0.0.1:{port}");
        let mut server = Self {
            child,
            address,
            database_url: database_url.to_owned(),
            env: env.to_vec(),
            binary: binary.to_owned(),
            startup: Duration::ZERO,
        };
        while started.elapsed() < Duration::from_secs(30) {
            if health(&server.address) {
                server.startup = started.elapsed();
                return Ok(server);
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        Err("the server did not answer /health/live within 30 s".into())
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's CPU time so far (user + system), from /proc/PID/stat.
    pub fn cpu_time(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        // Fields after the command name, which is in parentheses and may hold spaces.
        let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or_default();
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks = |index: usize| fields.get(index).and_then(|field| field.parse::<u64>().ok()).unwrap_or(0);
        // utime and stime are fields 14 and 15 of stat: 12 and 13 after the name.
        let total = ticks(11) + ticks(12);
        Duration::from_secs_f64(total as f64 / clock_ticks_per_second())
    }

    /// Context switches so far, voluntary and not, summed over every thread of the server
    /// (`/proc/PID/task/*/status`): what a thread hand-off costs shows here first, and the
    /// count is stable across machines where times are not.
    pub fn context_switches(&self) -> u64 {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{}/task", self.pid())) else {
            return 0;
        };
        let mut total = 0;
        for task in tasks.flatten() {
            let status = std::fs::read_to_string(task.path().join("status")).unwrap_or_default();
            for line in status.lines() {
                if let Some(count) = line
                    .strip_prefix("voluntary_ctxt_switches:")
                    .or_else(|| line.strip_prefix("nonvoluntary_ctxt_switches:"))
                {
                    total += count.trim().parse::<u64>().unwrap_or(0);
                }
            }
        }
        total
    }

    /// Resident memory now and at its peak, in MB, from /proc/PID/status.
    pub fn memory_mb(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|line| line.starts_with(name))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .map_or(0.0, |kb| kb / 1024.0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// Runs an admin command of the server binary against its database.
    pub fn admin(&self, args: &[&str], stdin: Option<&str>) -> Result<String, String> {
        admin(&self.binary, &self.database_url, &self.env, args, stdin)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `oauth2u --database URL ARGS…`, its standard output.
pub fn admin(
    binary: &Path,
    database_url: &str,
    env: &[(String, String)],
    args: &[&str],
    stdin: Option<&str>,
) -> Result<String, String> {
    use std::io::Write;
    let mut child = Command::new(binary)
        .args(["--database", database_url])
        .args(args)
        .envs(env.iter().cloned())
        .env_remove("OAUTH2U_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| error.to_string())?;
    if let (Some(text), Some(mut input)) = (stdin, child.stdin.take()) {
        input.write_all(text.as_bytes()).map_err(|error| error.to_string())?;
    }
    let output = child.wait_with_output().map_err(|error| error.to_string())?;
    if !output.status.success() {
        return Err(format!("oauth2u {}: {}", args.join(" "), String::from_utf8_lossy(&output.stderr)));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn health(address: &str) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(address) else {
        return false;
    };
    let _ = stream.write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let mut reply = [0u8; 12];
    stream.read_exact(&mut reply).is_ok() && reply.starts_with(b"HTTP/1.1 200")
}

fn clock_ticks_per_second() -> f64 {
    // getconf CLK_TCK; 100 on every Linux we run on.
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100.0)
}
