//! Delivery against a local stand-in for Discord: rate limits, retries, batching, bounds.

mod alerts_support;

use alerts_support::*;
use overlord::alerts::{AlertConfig, AlertTuning, Alerts, DISCORD_CONTENT_LIMIT, MAX_QUEUED_LINES};
use std::time::{Duration, Instant};

fn chat_alerts(discord: &FakeDiscord, tuning: AlertTuning) -> overlord::alerts::AlertsHandle {
    Alerts::start(AlertConfig { chat_webhook: Some(discord.url("chat")), tuning, ..AlertConfig::default() })
}

fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

#[tokio::test]
async fn rate_limited_post_waits_retry_after_from_the_body_and_loses_nothing() {
    let discord = FakeDiscord::start().await;
    discord.script(vec![Reply::RateLimited { body_retry_after: Some(0.8), header: None }]);
    let alerts = chat_alerts(&discord, fast_tuning());
    alerts.on_frame(&chat("Mossy Tank", "A", "first"), now_ms());
    alerts.on_frame(&chat("Mossy Tank", "B", "second"), now_ms());
    let lines = discord.wait_for_lines("chat", 2, Duration::from_secs(4)).await;
    let posts = discord.posts_to("chat");
    assert_eq!(posts.len(), 2, "one 429, then the same post accepted");
    assert_eq!(posts[0].answered, 429);
    assert_eq!(posts[0].body, posts[1].body, "the retry is the same post");
    let gap = posts[1].at - posts[0].at;
    assert!(gap >= Duration::from_millis(800), "retried after {gap:?}");
    assert!(gap < Duration::from_millis(1_500), "retried after {gap:?}");
    assert_eq!(lines.len(), 2);
    alerts.shutdown().await;
    let st = alerts.stats();
    assert_eq!((st.rate_limited, st.retries, st.alerts_sent, st.alerts_dropped, st.failures), (1, 1, 2, 0, 0));
}

#[tokio::test]
async fn rate_limited_post_honours_the_retry_after_header() {
    let discord = FakeDiscord::start().await;
    discord.script(vec![Reply::RateLimited { body_retry_after: None, header: Some("1") }]);
    let alerts = chat_alerts(&discord, fast_tuning());
    alerts.on_frame(&chat("Mossy Tank", "A", "hello"), now_ms());
    discord.wait_for_lines("chat", 1, Duration::from_secs(4)).await;
    let posts = discord.posts_to("chat");
    assert_eq!(posts.len(), 2);
    assert!(posts[1].at - posts[0].at >= Duration::from_secs(1), "{:?}", posts[1].at - posts[0].at);
    alerts.shutdown().await;
}

#[tokio::test]
async fn an_exhausted_rate_limit_bucket_delays_the_next_post() {
    let discord = FakeDiscord::start().await;
    discord.script(vec![Reply::OkExhausted { reset_after: 0.7 }]);
    let alerts = chat_alerts(&discord, fast_tuning());
    alerts.on_frame(&chat("Mossy Tank", "A", "one"), now_ms());
    discord.wait_for_lines("chat", 1, Duration::from_secs(3)).await;
    alerts.on_frame(&chat("Mossy Tank", "A", "two"), now_ms());
    discord.wait_for_lines("chat", 2, Duration::from_secs(3)).await;
    let posts = discord.posts_to("chat");
    assert_eq!(posts.len(), 2);
    assert!(posts[1].at - posts[0].at >= Duration::from_millis(700), "{:?}", posts[1].at - posts[0].at);
    assert_eq!(alerts.stats().rate_limited, 0, "no 429 was needed");
    alerts.shutdown().await;
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff_then_delivered() {
    let discord = FakeDiscord::start().await;
    discord.script(vec![Reply::Status(500), Reply::Status(503)]);
    let alerts = chat_alerts(&discord, fast_tuning());
    alerts.on_frame(&chat("Mossy Tank", "A", "through the storm"), now_ms());
    let lines = discord.wait_for_lines("chat", 1, Duration::from_secs(4)).await;
    assert_eq!(lines.len(), 1);
    let posts = discord.posts_to("chat");
    assert_eq!(posts.iter().map(|p| p.answered).collect::<Vec<_>>(), vec![500, 503, 204]);
    // fast_tuning: backoff 150 ms, then 300 ms.
    assert!(posts[1].at - posts[0].at >= Duration::from_millis(150), "{:?}", posts[1].at - posts[0].at);
    assert!(posts[2].at - posts[1].at >= Duration::from_millis(300), "{:?}", posts[2].at - posts[1].at);
    alerts.shutdown().await;
    let st = alerts.stats();
    assert_eq!((st.retries, st.alerts_sent, st.failures), (2, 1, 0));
}

#[tokio::test]
async fn a_post_that_keeps_failing_is_given_up_after_max_attempts_and_counted() {
    let discord = FakeDiscord::start().await;
    discord.set_default(Reply::Status(502));
    let alerts = chat_alerts(&discord, fast_tuning());
    alerts.on_frame(&chat("Mossy Tank", "A", "doomed"), now_ms());
    let deadline = Instant::now() + Duration::from_secs(5);
    while alerts.stats().failures == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let st = alerts.stats();
    assert_eq!(discord.posts().len(), fast_tuning().max_attempts as usize);
    assert_eq!((st.failures, st.alerts_dropped, st.alerts_sent), (1, 1, 0));
    alerts.shutdown().await;
}

#[tokio::test]
async fn an_unreachable_webhook_counts_network_failures() {
    // A port that was just free: connection refused.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let alerts = Alerts::start(AlertConfig {
        chat_webhook: Some(format!("http://127.0.0.1:{port}/api/webhooks/1/SECRETTOKEN")),
        ..fast_config()
    });
    alerts.on_frame(&chat("Mossy Tank", "A", "into the void"), now_ms());
    let deadline = Instant::now() + Duration::from_secs(5);
    while alerts.stats().failures == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let st = alerts.stats();
    assert_eq!((st.failures, st.retries, st.alerts_dropped), (1, 3, 1));
    alerts.shutdown().await;
}

#[tokio::test]
async fn a_client_error_drops_the_post_without_retrying() {
    let discord = FakeDiscord::start().await;
    discord.script(vec![Reply::Status(404)]);
    let alerts = chat_alerts(&discord, fast_tuning());
    alerts.on_frame(&chat("Mossy Tank", "A", "to a deleted webhook"), now_ms());
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(discord.posts().len(), 1);
    let st = alerts.stats();
    assert_eq!((st.failures, st.retries, st.alerts_dropped), (1, 0, 1));
    // The worker carries on with later alerts.
    alerts.on_frame(&chat("Mossy Tank", "A", "next"), now_ms());
    assert_eq!(discord.wait_for_lines("chat", 1, Duration::from_secs(3)).await.len(), 1);
    alerts.shutdown().await;
}

#[tokio::test]
async fn burst_of_500_chat_lines_is_batched_into_few_posts() {
    let discord = FakeDiscord::start().await;
    let alerts = chat_alerts(&discord, fast_tuning());
    let t = now_ms();
    for i in 0..500 {
        // Every line arrives three times (three members online).
        for member in ["Mossy Tank", "Mossy Mage", "Buff Bot"] {
            alerts.on_frame(
                &chat(member, &format!("Member{}", i % 37), &format!("line {i}: anyone for Gaerlan?")),
                t + i,
            );
        }
    }
    let lines = discord.wait_for_lines("chat", 500, Duration::from_secs(10)).await;
    alerts.shutdown().await;
    assert_eq!(lines.len(), 500, "every line once");
    for (i, l) in lines.iter().enumerate() {
        assert!(l.contains(&format!("line {i}\\:")), "in order: {i} {l}");
    }
    let posts = discord.posts_to("chat");
    let total: usize = lines.iter().map(|l| utf16_len(l) + 1).sum();
    let minimum = total.div_ceil(DISCORD_CONTENT_LIMIT);
    eprintln!("500 lines ({total} chars) in {} posts (minimum {minimum})", posts.len());
    assert!(posts.len() <= minimum + 2, "{} posts for {total} chars", posts.len());
    assert!(posts.iter().all(|p| utf16_len(&p.content()) <= DISCORD_CONTENT_LIMIT));
    let st = alerts.stats();
    assert_eq!((st.alerts_sent, st.duplicates_suppressed, st.posts_sent as usize), (500, 1_000, posts.len()));
}

#[tokio::test]
async fn discord_down_keeps_the_queue_bounded_and_counts_drops() {
    let discord = FakeDiscord::start().await;
    // Every post stalls 2 s (Discord is down behind a slow proxy).
    discord.set_default(Reply::Stall(Duration::from_secs(2)));
    let alerts = chat_alerts(&discord, fast_tuning());
    let total = 3 * MAX_QUEUED_LINES;
    for i in 0..total {
        alerts.on_frame(&chat("Mossy Tank", "Spam", &format!("line {i}")), now_ms());
    }
    let deadline = Instant::now() + Duration::from_secs(3);
    while alerts.stats().alerts_raised < total as u64 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let st = alerts.stats();
    assert_eq!(st.alerts_raised, total as u64);
    assert!(st.queued as usize <= MAX_QUEUED_LINES + DISCORD_CONTENT_LIMIT, "queued {}", st.queued);
    assert!(st.alerts_dropped as usize >= total - MAX_QUEUED_LINES - 200, "dropped {}", st.alerts_dropped);
    alerts.shutdown().await;
    let st = alerts.stats();
    assert_eq!(st.alerts_raised, st.alerts_sent + st.alerts_dropped, "{st:?}");
    assert_eq!(st.queued, 0);
}

#[tokio::test]
async fn shutdown_posts_what_is_queued() {
    let discord = FakeDiscord::start().await;
    let tuning = AlertTuning { batch_linger: Duration::from_secs(30), ..fast_tuning() };
    let alerts = chat_alerts(&discord, tuning);
    alerts.on_frame(&chat("Mossy Tank", "A", "last words"), now_ms());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    alerts.shutdown().await;
    // The worker was lingering for 30 s; shutdown cuts the linger short and posts.
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    assert_eq!(discord.delivered_lines("chat").len(), 1);
    let st = alerts.stats();
    assert_eq!((st.alerts_raised, st.alerts_sent, st.alerts_dropped), (1, 1, 0), "{st:?}");
    alerts.shutdown().await;
}
