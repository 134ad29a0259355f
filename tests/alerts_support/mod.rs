//! A local HTTP server standing in for Discord's webhook endpoint: it records every post
//! (time, webhook, JSON body, the status it answered) and answers from a script: 204,
//! 429 with `retry_after` in the body and/or a `Retry-After` header, any other status, or
//! a stall. Shared by the `alerts_*` test files.

#![allow(dead_code)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use overlord::alerts::{AlertConfig, AlertTuning};
use overlord::protocol::{PluginFrame, decode_plugin_frame};
use serde_json::Value;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub enum Reply {
    /// 204 No Content, as Discord answers without `?wait=true`.
    Ok,
    /// 204 with `X-RateLimit-Remaining: 0` and `X-RateLimit-Reset-After`.
    OkExhausted {
        reset_after: f64,
    },
    Status(u16),
    RateLimited {
        body_retry_after: Option<f64>,
        header: Option<&'static str>,
    },
    /// Answer 204 only after this long.
    Stall(Duration),
}

#[derive(Debug, Clone)]
pub struct Post {
    pub at: Instant,
    pub hook: String,
    pub body: Value,
    pub answered: u16,
}

impl Post {
    pub fn content(&self) -> String {
        self.body["content"].as_str().unwrap_or_default().to_string()
    }
}

#[derive(Clone, Default)]
struct FakeState {
    posts: Arc<Mutex<Vec<Post>>>,
    script: Arc<Mutex<VecDeque<Reply>>>,
    default: Arc<Mutex<Option<Reply>>>,
}

pub struct FakeDiscord {
    pub addr: SocketAddr,
    state: FakeState,
}

impl FakeDiscord {
    pub async fn start() -> FakeDiscord {
        let state = FakeState::default();
        let app = Router::new().route("/api/webhooks/{id}/{token}", post(execute)).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeDiscord { addr, state }
    }

    /// A webhook URL on this server; `name` stands in for the token.
    pub fn url(&self, name: &str) -> String {
        format!("http://{}/api/webhooks/4242/{name}", self.addr)
    }

    /// Replies used in order, before the default.
    pub fn script(&self, replies: Vec<Reply>) {
        self.state.script.lock().unwrap().extend(replies);
    }

    /// The reply once the script is used up (204 unless set).
    pub fn set_default(&self, reply: Reply) {
        *self.state.default.lock().unwrap() = Some(reply);
    }

    pub fn posts(&self) -> Vec<Post> {
        self.state.posts.lock().unwrap().clone()
    }

    pub fn posts_to(&self, hook: &str) -> Vec<Post> {
        self.posts().into_iter().filter(|p| p.hook == hook).collect()
    }

    /// Every line of every accepted post to `hook`, in order.
    pub fn delivered_lines(&self, hook: &str) -> Vec<String> {
        self.posts_to(hook)
            .iter()
            .filter(|p| p.answered < 300)
            .flat_map(|p| p.content().lines().map(String::from).collect::<Vec<_>>())
            .collect()
    }

    /// Waits until `hook` has at least `n` delivered lines (or the timeout passes).
    pub async fn wait_for_lines(&self, hook: &str, n: usize, timeout: Duration) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let lines = self.delivered_lines(hook);
            if lines.len() >= n || Instant::now() > deadline {
                return lines;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn execute(State(st): State<FakeState>, Path((_id, token)): Path<(String, String)>, body: Bytes) -> Response {
    let reply = st.script.lock().unwrap().pop_front();
    let reply = reply.or_else(|| st.default.lock().unwrap().clone()).unwrap_or(Reply::Ok);
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let record = |answered: u16| {
        st.posts.lock().unwrap().push(Post { at: Instant::now(), hook: token.clone(), body: body.clone(), answered });
    };
    match reply {
        Reply::Ok => {
            record(204);
            StatusCode::NO_CONTENT.into_response()
        }
        Reply::OkExhausted { reset_after } => {
            record(204);
            let mut h = HeaderMap::new();
            h.insert("x-ratelimit-remaining", "0".parse().unwrap());
            h.insert("x-ratelimit-reset-after", reset_after.to_string().parse().unwrap());
            (StatusCode::NO_CONTENT, h).into_response()
        }
        Reply::Status(code) => {
            record(code);
            let status = StatusCode::from_u16(code).unwrap();
            (status, axum::Json(serde_json::json!({"message": "scripted failure", "code": 0}))).into_response()
        }
        Reply::RateLimited { body_retry_after, header } => {
            record(429);
            let mut h = HeaderMap::new();
            if let Some(v) = header {
                h.insert("retry-after", v.parse().unwrap());
            }
            let body = match body_retry_after {
                Some(s) => {
                    serde_json::json!({"message": "You are being rate limited.", "retry_after": s, "global": false})
                }
                None => serde_json::json!({"message": "You are being rate limited."}),
            };
            (StatusCode::TOO_MANY_REQUESTS, h, axum::Json(body)).into_response()
        }
        Reply::Stall(d) => {
            tokio::time::sleep(d).await;
            record(204);
            StatusCode::NO_CONTENT.into_response()
        }
    }
}

/// Timings shrunk so every test runs in a few seconds.
pub fn fast_tuning() -> AlertTuning {
    AlertTuning {
        idle_check_every: Duration::from_millis(100),
        idle_after: Some(Duration::from_secs(1)),
        batch_linger: Duration::from_millis(100),
        min_post_interval: Duration::from_millis(10),
        backoff_base: Duration::from_millis(150),
        backoff_cap: Duration::from_secs(1),
        max_attempts: 4,
        request_timeout: Duration::from_secs(2),
    }
}

pub fn fast_config() -> AlertConfig {
    AlertConfig { tuning: fast_tuning(), ..AlertConfig::default() }
}

/// Decodes a plugin frame the way the socket does.
pub fn frame(v: Value) -> PluginFrame {
    decode_plugin_frame(&v.to_string()).unwrap()
}

pub fn telemetry(name: &str, deaths: &str, session_seconds: u64, tapers: &str) -> PluginFrame {
    frame(serde_json::json!({
        "type": "telemetry", "character_name": name, "ew": 33.589, "ns": 42.099,
        "deaths": deaths, "total_deaths": "41", "session_seconds": session_seconds,
        "prismatic_taper_count": tapers,
    }))
}

pub fn chat(receiver: &str, sender: &str, text: &str) -> PluginFrame {
    frame(serde_json::json!({
        "type": "chat", "character_name": receiver, "channel": "allegiance", "chat_type": 18,
        "sender": sender, "text": text,
    }))
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
