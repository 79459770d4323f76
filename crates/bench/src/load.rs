//! The load generator: one keep-alive HTTP/1.1 connection per worker, a fixed number of
//! workers, a warm-up, then a measured window. Latencies are kept in microseconds.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{SendRequest, handshake};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
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

/// A worker's connection, recording what it sends while `recording`.
pub struct Conn {
    address: String,
    sender: SendRequest<Full<Bytes>>,
    pub recording: bool,
    pub stats: Stats,
}

impl Conn {
    pub async fn open(address: &str) -> Result<Self, String> {
        let sender = connect(address).await?;
        Ok(Self { address: address.to_owned(), sender, recording: false, stats: Stats::default() })
    }

    /// Sends a request; an answer with another status than `expect` counts as an error.
    pub async fn send(
        &mut self,
        request: Request<Full<Bytes>>,
        expect: StatusCode,
    ) -> Option<(hyper::http::response::Parts, Bytes)> {
        let started = Instant::now();
        let outcome = async {
            if self.sender.ready().await.is_err() {
                // The server closed the connection (e.g. after a timeout): open another.
                self.sender = connect(&self.address).await?;
            }
            let response = self.sender.send_request(request).await.map_err(|error| error.to_string())?;
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

async fn connect(address: &str) -> Result<SendRequest<Full<Bytes>>, String> {
    let stream = TcpStream::connect(address).await.map_err(|error| error.to_string())?;
    stream.set_nodelay(true).map_err(|error| error.to_string())?;
    let (sender, connection) = handshake(TokioIo::new(stream)).await.map_err(|error| error.to_string())?;
    tokio::spawn(connection);
    Ok(sender)
}

/// The timing of one run.
#[derive(Clone, Copy)]
pub struct Window {
    pub warmup: Duration,
    pub measure: Duration,
}

/// Percentile of sorted latencies, in milliseconds.
pub fn percentile_ms(sorted: &[u32], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    f64::from(sorted[index.min(sorted.len() - 1)]) / 1000.0
}
