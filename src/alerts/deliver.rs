//! Delivery: one worker per webhook URL with a bounded queue of alert lines. The worker
//! batches queued lines into posts of at most 2,000 characters, paces posts, honours
//! Discord's rate limits, retries 5xx and network errors with capped exponential backoff,
//! and drops (counting) what it cannot deliver. Never logs a webhook token.
//!
//! Pacing: at most one post per `min_post_interval`, no post before a 429's
//! `retry_after` (JSON body, seconds as a float) or `Retry-After` header (the later of the
//! two) has passed, and none while `X-RateLimit-Remaining: 0` until `X-RateLimit-Reset-After`.
//! No jitter on backoff: one process posts to each webhook, so there is no herd to spread.

use super::format::units;
use super::recent::{Probe, RecentLog, SentAlert};
use super::{
    AlertKind, AlertTuning, Counters, DISCORD_CONTENT_LIMIT, MAX_RATE_LIMITED_RETRIES, MAX_RESPONSE_BYTES,
    MAX_RETRY_AFTER, WEBHOOK_USERNAME,
};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, HeaderMap, USER_AGENT};
use hyper::{Request, StatusCode, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

/// A 429 without a usable `retry_after` or `Retry-After` waits this long.
const RATE_LIMIT_FALLBACK: Duration = Duration::from_secs(2);
/// A failing webhook logs a warning at most this often (the rest are counted).
const WARN_EVERY: Duration = Duration::from_secs(60);
/// Idle keep-alive connections to Discord are closed after this.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Discord's error `message`s are short; more of one is not logged.
const MAX_LOGGED_ERROR_CHARS: usize = 200;

pub(crate) type HttpClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The HTTPS client shared by every worker: rustls with the `ring` provider and the
/// Mozilla roots compiled in (no system certificate store, which a static binary on a
/// minimal host may lack); plain http is allowed because validation permits it only to
/// loopback (tests).
pub(crate) fn https_client(connect_timeout: Duration) -> Result<HttpClient, ClientSetupError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(ClientSetupError::Tls)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(connect_timeout));
    http.set_nodelay(true);
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Ok(Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .pool_max_idle_per_host(2)
        .build(https))
}

/// The HTTPS client for webhook posts could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientSetupError {
    /// rustls refused the TLS configuration (the `ring` provider and safe protocol versions).
    #[error("TLS setup: {0}")]
    Tls(#[source] rustls::Error),
}

/// A delivery worker was given a webhook URL that does not parse (unreachable after
/// `validate_webhook_url`). The message names the worker by its redacted label, never
/// the token.
#[derive(Debug, thiserror::Error)]
#[error("{label}: not a URL")]
pub struct WorkerUrlError {
    label: String,
    #[source]
    source: hyper::http::uri::InvalidUri,
}

/// Lines waiting for one webhook. Bounded: pushing onto a full queue drops the oldest.
pub(crate) struct WebhookQueue {
    state: Mutex<QueueState>,
    notify: Notify,
    /// Lines taken for the post being attempted now (still "queued" for the stats).
    in_flight: AtomicUsize,
    /// Set on close, so a lingering worker posts at once instead of waiting out the linger.
    closed_tx: watch::Sender<bool>,
    cap: usize,
}

struct QueueState {
    lines: VecDeque<QueuedLine>,
    closed: bool,
}

/// One alert line waiting for its post.
pub(crate) struct QueuedLine {
    pub kind: AlertKind,
    pub text: String,
    /// When it was raised (unix ms), for the recent-alerts list.
    pub raised_ms: i64,
    /// Set on a "send test" line: the admin's request waits on it for the outcome.
    pub probe: Option<Arc<Probe>>,
}

impl QueuedLine {
    pub fn new(kind: AlertKind, text: String) -> QueuedLine {
        QueuedLine { kind, text, raised_ms: super::now_ms(), probe: None }
    }
}

impl WebhookQueue {
    pub fn new(cap: usize) -> Self {
        WebhookQueue {
            state: Mutex::new(QueueState { lines: VecDeque::new(), closed: false }),
            notify: Notify::new(),
            in_flight: AtomicUsize::new(0),
            closed_tx: watch::Sender::new(false),
            cap,
        }
    }

    fn lock(&self) -> MutexGuard<'_, QueueState> {
        // No code path panics while holding the lock; recover the data if one ever did.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a line; returns true when the oldest line was dropped to make room.
    pub fn push(&self, line: QueuedLine) -> bool {
        let dropped = {
            let mut st = self.lock();
            let dropped = st.lines.len() >= self.cap && st.lines.pop_front().is_some();
            st.lines.push_back(line);
            dropped
        };
        self.notify.notify_one();
        dropped
    }

    /// No more lines will come: the worker posts what is left and ends.
    pub fn close(&self) {
        self.lock().closed = true;
        self.closed_tx.send_replace(true);
        self.notify.notify_one();
    }

    /// Lines waiting, including those of the post in progress.
    pub fn len(&self) -> usize {
        self.lock().lines.len() + self.in_flight.load(Ordering::Relaxed)
    }

    /// Empties the queue (at shutdown, after the workers stopped); returns how many lines
    /// were lost, the in-flight post's included.
    pub fn drain_all(&self) -> usize {
        let mut st = self.lock();
        let n = st.lines.len() + self.in_flight.swap(0, Ordering::Relaxed);
        st.lines.clear();
        n
    }

    fn is_empty_and_closed(&self) -> (bool, bool) {
        let st = self.lock();
        (st.lines.is_empty(), st.closed)
    }

    /// Whether the queued lines already fill a post (no reason to wait for more).
    fn fills_a_post(&self) -> bool {
        let st = self.lock();
        let mut total = 0;
        for l in &st.lines {
            total += units(&l.text) + 1;
            if total > DISCORD_CONTENT_LIMIT {
                return true;
            }
        }
        false
    }

    /// Takes the oldest lines that fit in one post's content (at least one line: lines are
    /// clipped to fit on their own).
    fn take_batch(&self) -> Vec<QueuedLine> {
        let mut st = self.lock();
        let mut batch = Vec::new();
        let mut total = 0;
        while let Some(line) = st.lines.front() {
            let add = units(&line.text) + usize::from(!batch.is_empty());
            if !batch.is_empty() && total + add > DISCORD_CONTENT_LIMIT {
                break;
            }
            total += add;
            if let Some(line) = st.lines.pop_front() {
                batch.push(line);
            }
        }
        self.in_flight.store(batch.len(), Ordering::Relaxed);
        batch
    }
}

/// What one POST came to.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// Accepted; `pause` when Discord said this bucket is used up until then.
    Delivered {
        pause: Option<Duration>,
        status: u16,
    },
    RateLimited(Duration),
    /// 5xx, 408, timeout or network error: worth another attempt.
    Retryable(String),
    /// Any other status: the URL or the payload is wrong; retrying cannot help.
    Rejected {
        status: u16,
        message: String,
    },
}

pub(crate) struct Worker {
    uri: Uri,
    /// The URL's last path segment (the token), scrubbed from any error text we log.
    token: String,
    label: String,
    /// The URL fit for the recent-alerts list (token hidden).
    redacted: String,
    queue: Arc<WebhookQueue>,
    client: HttpClient,
    counters: Arc<Counters>,
    recent: Arc<RecentLog>,
    tuning: AlertTuning,
    last_post: Option<Instant>,
    not_before: Option<Instant>,
    last_warn: Option<Instant>,
    warnings_suppressed: u64,
}

impl Worker {
    pub fn new(
        url: &str,
        label: String,
        queue: Arc<WebhookQueue>,
        client: HttpClient,
        counters: Arc<Counters>,
        recent: Arc<RecentLog>,
        tuning: AlertTuning,
    ) -> Result<Worker, WorkerUrlError> {
        let uri: Uri = match url.trim().parse() {
            Ok(uri) => uri,
            Err(source) => return Err(WorkerUrlError { label, source }),
        };
        let token = uri.path().rsplit('/').find(|s| !s.is_empty()).unwrap_or_default().to_string();
        Ok(Worker {
            uri,
            token,
            label,
            redacted: super::format::redact_webhook_url(url),
            queue,
            client,
            counters,
            recent,
            tuning,
            last_post: None,
            not_before: None,
            last_warn: None,
            warnings_suppressed: 0,
        })
    }

    pub async fn run(mut self) {
        let mut was_idle = true;
        let mut closing = self.queue.closed_tx.subscribe();
        loop {
            let (empty, closed) = self.queue.is_empty_and_closed();
            if empty {
                if closed {
                    return;
                }
                was_idle = true;
                self.queue.notify.notified().await;
                continue;
            }
            if was_idle && !closed && !self.queue.fills_a_post() {
                // The first line of a burst waits a moment so the rest share its post
                // (cut short by shutdown).
                tokio::select! {
                    _ = tokio::time::sleep(self.tuning.batch_linger) => {}
                    _ = closing.wait_for(|c| *c) => {}
                }
            }
            was_idle = false;
            self.pace().await;
            let batch = self.queue.take_batch();
            if !batch.is_empty() {
                self.deliver(batch).await;
            }
            self.queue.in_flight.store(0, Ordering::Relaxed);
        }
    }

    /// Waits until a post is allowed: the minimum interval since the last post, and any
    /// pause Discord asked for.
    async fn pace(&self) {
        let mut at = Instant::now();
        if let Some(last) = self.last_post {
            at = at.max(last + self.tuning.min_post_interval);
        }
        if let Some(nb) = self.not_before {
            at = at.max(nb);
        }
        tokio::time::sleep_until(at).await;
    }

    async fn deliver(&mut self, batch: Vec<QueuedLine>) {
        let lines = batch.len() as u64;
        let content: Vec<&str> = batch.iter().map(|l| l.text.as_str()).collect();
        let payload = serde_json::json!({
            "content": content.join("\n"),
            "username": WEBHOOK_USERNAME,
            // Relayed chat may say @everyone or <@id>; nobody gets pinged by an alert.
            "allowed_mentions": {"parse": []},
        });
        let body = Bytes::from(payload.to_string());
        let mut attempts = 0u32;
        let mut rate_limited = 0u32;
        loop {
            self.pace().await;
            let outcome = self.post(body.clone()).await;
            let now = Instant::now();
            self.last_post = Some(now);
            self.report_attempt(&batch, &outcome);
            match outcome {
                Outcome::Delivered { pause, status } => {
                    self.counters.alerts_sent.fetch_add(lines, Ordering::Relaxed);
                    self.counters.posts_sent.fetch_add(1, Ordering::Relaxed);
                    self.not_before = pause.map(|p| now + p);
                    self.finish(&batch, Some(status), None);
                    return;
                }
                Outcome::RateLimited(wait) => {
                    self.counters.rate_limited.fetch_add(1, Ordering::Relaxed);
                    rate_limited += 1;
                    self.not_before = Some(now + wait);
                    if rate_limited > MAX_RATE_LIMITED_RETRIES {
                        let why = format!("still rate limited after {MAX_RATE_LIMITED_RETRIES} retries");
                        self.give_up(lines, &why);
                        self.finish(&batch, Some(429), Some(why));
                        return;
                    }
                    self.counters.retries.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(webhook = %self.label, wait_ms = wait.as_millis() as u64, "webhook rate limited; waiting");
                }
                Outcome::Retryable(why) => {
                    attempts += 1;
                    if attempts >= self.tuning.max_attempts {
                        let why = format!("{why} (after {attempts} attempts)");
                        self.give_up(lines, &why);
                        self.finish(&batch, None, Some(self.scrub(&why)));
                        return;
                    }
                    self.counters.retries.fetch_add(1, Ordering::Relaxed);
                    let delay = self.backoff(attempts);
                    tracing::debug!(webhook = %self.label, error = %why, retry_in_ms = delay.as_millis() as u64, "webhook post failed; retrying");
                    tokio::time::sleep(delay).await;
                }
                Outcome::Rejected { status, message } => {
                    let why =
                        format!("the webhook refused the post with HTTP {status}: {message}; check the webhook URL");
                    self.give_up(lines, &why);
                    self.finish(&batch, (status != 0).then_some(status), Some(self.scrub(&why)));
                    return;
                }
            }
        }
    }

    /// Tells the "send test" requests waiting on lines of this post how the attempt went.
    fn report_attempt(&self, batch: &[QueuedLine], outcome: &Outcome) {
        for probe in batch.iter().filter_map(|l| l.probe.as_ref()) {
            match outcome {
                Outcome::Delivered { status, .. } => probe.attempt(Some(*status), None),
                Outcome::RateLimited(wait) => {
                    probe.attempt(Some(429), Some(format!("rate limited: retrying in {:.1} s", wait.as_secs_f64())))
                }
                Outcome::Retryable(why) => probe.attempt(http_status_of(why), Some(self.scrub(why))),
                Outcome::Rejected { status, message } => {
                    probe.attempt((*status != 0).then_some(*status), Some(self.scrub(message)))
                }
            }
        }
    }

    /// The post's final outcome: into the recent-alerts list, and to any waiting test.
    fn finish(&self, batch: &[QueuedLine], status: Option<u16>, error: Option<String>) {
        let at_ms = super::now_ms();
        for line in batch {
            if let Some(probe) = &line.probe {
                probe.finish(error.is_none(), status, error.clone());
            }
            self.recent.push(SentAlert {
                at_ms,
                raised_ms: line.raised_ms,
                kind: line.kind,
                test: line.probe.is_some(),
                webhook: self.redacted.clone(),
                line: line.text.clone(),
                delivered: error.is_none(),
                status,
                error: error.clone(),
            });
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(20);
        self.tuning.backoff_base.saturating_mul(1u32 << doublings).min(self.tuning.backoff_cap)
    }

    fn give_up(&mut self, lines: u64, why: &str) {
        self.counters.failures.fetch_add(1, Ordering::Relaxed);
        self.counters.alerts_dropped.fetch_add(lines, Ordering::Relaxed);
        let why = self.scrub(why);
        if self.last_warn.is_some_and(|t| t.elapsed() < WARN_EVERY) {
            self.warnings_suppressed += 1;
            return;
        }
        tracing::warn!(
            webhook = %self.label,
            lines,
            error = %why,
            similar_warnings_suppressed = self.warnings_suppressed,
            "alert post given up; its lines are dropped"
        );
        self.last_warn = Some(Instant::now());
        self.warnings_suppressed = 0;
    }

    /// Error texts come from the network stack and Discord; none should hold the token,
    /// and this makes sure.
    fn scrub(&self, s: &str) -> String {
        if self.token.len() >= 8 { s.replace(&self.token, "***") } else { s.to_string() }
    }

    async fn post(&self, body: Bytes) -> Outcome {
        let req = Request::post(self.uri.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(USER_AGENT, concat!("Overlord/", env!("CARGO_PKG_VERSION")))
            .body(Full::new(body));
        let req = match req {
            Ok(r) => r,
            Err(e) => return Outcome::Rejected { status: 0, message: format!("cannot build the request: {e}") },
        };
        let exchange = async {
            let resp = self.client.request(req).await.map_err(|e| error_chain(&e))?;
            let (parts, body) = resp.into_parts();
            // An unreadable or oversized body still leaves the status to act on.
            let bytes = match Limited::new(body, MAX_RESPONSE_BYTES).collect().await {
                Ok(c) => c.to_bytes(),
                Err(_) => Bytes::new(),
            };
            Ok::<_, String>((parts.status, parts.headers, bytes))
        };
        match tokio::time::timeout(self.tuning.request_timeout, exchange).await {
            Err(_) => Outcome::Retryable(format!("no answer within {} ms", self.tuning.request_timeout.as_millis())),
            Ok(Err(e)) => Outcome::Retryable(e),
            Ok(Ok((status, headers, bytes))) => classify(status, &headers, &bytes),
        }
    }
}

/// "HTTP 502 Bad Gateway" → 502 (a retryable outcome's text names its status).
fn http_status_of(why: &str) -> Option<u16> {
    why.strip_prefix("HTTP ")?.get(..3)?.parse().ok()
}

fn classify(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Outcome {
    if status.is_success() {
        let exhausted = header_f64(headers, "x-ratelimit-remaining").is_some_and(|r| r <= 0.0);
        let pause = if exhausted { header_f64(headers, "x-ratelimit-reset-after").and_then(secs) } else { None };
        return Outcome::Delivered { pause, status: status.as_u16() };
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        let from_body = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v.get("retry_after").and_then(serde_json::Value::as_f64))
            .and_then(secs);
        let from_header = header_f64(headers, "retry-after").and_then(secs);
        let wait = match (from_body, from_header) {
            (Some(a), Some(b)) => a.max(b),
            (a, b) => a.or(b).unwrap_or(RATE_LIMIT_FALLBACK),
        };
        return Outcome::RateLimited(wait.min(MAX_RETRY_AFTER));
    }
    if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT {
        return Outcome::Retryable(format!("HTTP {status}"));
    }
    let message = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(serde_json::Value::as_str).map(String::from))
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    let message: String = message.chars().filter(|c| !c.is_control()).take(MAX_LOGGED_ERROR_CHARS).collect();
    Outcome::Rejected { status: status.as_u16(), message }
}

fn header_f64(headers: &HeaderMap, name: &str) -> Option<f64> {
    headers.get(name)?.to_str().ok()?.trim().parse::<f64>().ok()
}

/// Seconds (Discord sends floats) as a duration; negative, NaN and absurd values are none.
fn secs(v: f64) -> Option<Duration> {
    if v.is_finite() && v >= 0.0 { Duration::try_from_secs_f64(v).ok() } else { None }
}

/// An error and its causes on one line ("client error (Connect): tcp connect error: …").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    let mut depth = 0;
    while let Some(c) = cur {
        if depth >= 5 {
            break;
        }
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
        depth += 1;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: String) -> QueuedLine {
        QueuedLine::new(AlertKind::Chat, text)
    }

    #[test]
    fn a_retry_reason_names_its_status() {
        assert_eq!(http_status_of("HTTP 502 Bad Gateway"), Some(502));
        assert_eq!(http_status_of("no answer within 15000 ms"), None);
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn rate_limit_waits_the_later_of_body_and_header() {
        let o = classify(StatusCode::TOO_MANY_REQUESTS, &headers(&[("retry-after", "2")]), br#"{"retry_after": 0.75}"#);
        assert_eq!(o, Outcome::RateLimited(Duration::from_secs(2)));
        let o =
            classify(StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new(), br#"{"retry_after": 0.75, "global": false}"#);
        assert_eq!(o, Outcome::RateLimited(Duration::from_millis(750)));
        let o = classify(StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new(), b"<html>slow down</html>");
        assert_eq!(o, Outcome::RateLimited(RATE_LIMIT_FALLBACK));
        let o = classify(StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new(), br#"{"retry_after": 1e12}"#);
        assert_eq!(o, Outcome::RateLimited(MAX_RETRY_AFTER));
        let o = classify(StatusCode::TOO_MANY_REQUESTS, &HeaderMap::new(), br#"{"retry_after": -3}"#);
        assert_eq!(o, Outcome::RateLimited(RATE_LIMIT_FALLBACK));
    }

    #[test]
    fn an_exhausted_bucket_pauses_the_next_post() {
        let h = headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset-after", "1.5")]);
        assert_eq!(
            classify(StatusCode::NO_CONTENT, &h, b""),
            Outcome::Delivered { pause: Some(Duration::from_millis(1500)), status: 204 }
        );
        let h = headers(&[("x-ratelimit-remaining", "3"), ("x-ratelimit-reset-after", "1.5")]);
        assert_eq!(classify(StatusCode::OK, &h, b"{}"), Outcome::Delivered { pause: None, status: 200 });
    }

    #[test]
    fn server_errors_retry_and_client_errors_do_not() {
        assert!(matches!(classify(StatusCode::BAD_GATEWAY, &HeaderMap::new(), b""), Outcome::Retryable(_)));
        let o = classify(StatusCode::NOT_FOUND, &HeaderMap::new(), br#"{"message": "Unknown Webhook", "code": 10015}"#);
        assert_eq!(o, Outcome::Rejected { status: 404, message: "Unknown Webhook".into() });
    }

    #[test]
    fn a_full_queue_drops_the_oldest_line() {
        let q = WebhookQueue::new(3);
        for i in 0..3 {
            assert!(!q.push(line(format!("l{i}"))));
        }
        assert!(q.push(line("l3".into())));
        let texts: Vec<String> = q.take_batch().into_iter().map(|l| l.text).collect();
        assert_eq!(texts, vec!["l1", "l2", "l3"]);
    }

    #[test]
    fn a_batch_never_exceeds_the_content_limit() {
        let q = WebhookQueue::new(1_000);
        for i in 0..500 {
            q.push(line(format!("💬 **member{i}**: {}", "x".repeat(i % 90))));
        }
        let mut taken = 0;
        let mut posts = 0;
        loop {
            let b = q.take_batch();
            if b.is_empty() {
                break;
            }
            let texts: Vec<&str> = b.iter().map(|l| l.text.as_str()).collect();
            assert!(units(&texts.join("\n")) <= DISCORD_CONTENT_LIMIT);
            taken += b.len();
            posts += 1;
        }
        assert_eq!(taken, 500);
        assert!(posts < 40, "{posts} posts");
    }
}
