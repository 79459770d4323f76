//! The load generator: one keep-alive connection per worker — HTTP/1.1, or HTTP/2 in
//! cleartext with prior knowledge — a fixed number of workers, a warm-up, then a measured
//! window. Latencies are kept in microseconds.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::{http1, http2};
use hyper::{Request, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;

/// What one worker saw in the measured window.
#[derive(Default)]
pub struct Stats {
    pub latencies_us: Vec<u32>,
    pub errors: u64,
    pub first_error: Option<String>,
}

impl Stats {
    pub fn merge(&mut self, other: Stats) {
        self.latencies_us.extend(other.latencies_us);
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }
}

/// Which HTTP the load generator speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Protocol {
    /// HTTP/1.1 with keep-alive.
    Http1,
    /// HTTP/2 in cleartext, with prior knowledge (h2c): one stream at a time per connection.
    Http2,
}

enum Sender {
    Http1(http1::SendRequest<Full<Bytes>>),
    Http2(http2::SendRequest<Full<Bytes>>),
}

/// A worker's connection, recording what it sends while `recording`.
pub struct Conn {
    address: String,
    protocol: Protocol,
    sender: Sender,
    pub recording: bool,
    pub stats: Stats,
}

impl Conn {
    pub async fn open(address: &str, protocol: Protocol) -> Result<Self, String> {
        let sender = connect(address, protocol).await?;
        Ok(Self { address: address.to_owned(), protocol, sender, recording: false, stats: Stats::default() })
    }

    /// Sends a request; an answer with another status than `expect` counts as an error.
    pub async fn send(
        &mut self,
        request: Request<Full<Bytes>>,
        expect: StatusCode,
    ) -> Option<(hyper::http::response::Parts, Bytes)> {
        let started = Instant::now();
        let outcome = async {
            let ready = match &mut self.sender {
                Sender::Http1(sender) => sender.ready().await,
                Sender::Http2(sender) => sender.ready().await,
            };
            if ready.is_err() {
                // The server closed the connection (e.g. after a timeout): open another.
                self.sender = connect(&self.address, self.protocol).await?;
            }
            let response = match &mut self.sender {
                Sender::Http1(sender) => sender.send_request(request).await,
                Sender::Http2(sender) => sender.send_request(request).await,
            };
            let response = response.map_err(|error| error.to_string())?;
            let (parts, body) = response.into_parts();
            let body = body.collect().await.map_err(|error| error.to_string())?.to_bytes();
            Ok::<_, String>((parts, body))
        };
        let result = outcome.await;
        let elapsed = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
        match result {
            Ok((parts, body)) if parts.status == expect => {
                if self.recording {
                    self.stats.latencies_us.push(elapsed);
                }
                Some((parts, body))
            }
            Ok((parts, body)) => {
                self.error(format!(
                    "{} (expected {expect}): {}",
                    parts.status,
                    String::from_utf8_lossy(&body)
                ));
                None
            }
            Err(error) => {
                self.error(error);
                None
            }
        }
    }

    pub fn error(&mut self, message: String) {
        if self.recording {
            self.stats.errors += 1;
            self.stats.first_error.get_or_insert(message);
        }
    }
}

async fn connect(address: &str, protocol: Protocol) -> Result<Sender, String> {
    let stream = TcpStream::connect(address).await.map_err(|error| error.to_string())?;
    stream.set_nodelay(true).map_err(|error| error.to_string())?;
    let io = TokioIo::new(stream);
    match protocol {
        Protocol::Http1 => {
            let (sender, connection) = http1::handshake(io).await.map_err(|error| error.to_string())?;
            tokio::spawn(connection);
            Ok(Sender::Http1(sender))
        }
        Protocol::Http2 => {
            let (sender, connection) =
                http2::handshake(TokioExecutor::new(), io).await.map_err(|error| error.to_string())?;
            tokio::spawn(connection);
            Ok(Sender::Http2(sender))
        }
    }
}

/// The timing of one run, and how its connections speak.
#[derive(Clone, Copy)]
pub struct Window {
    pub warmup: Duration,
    pub measure: Duration,
    pub protocol: Protocol,
}

/// Percentile of sorted latencies, in milliseconds.
pub fn percentile_ms(sorted: &[u32], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    f64::from(sorted[index.min(sorted.len() - 1)]) / 1000.0
}
