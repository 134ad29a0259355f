//! The trust rules and browser defences end to end: loopback, proxies, CSRF, headers.

#[path = "auth_support/mod.rs"]
mod common;

use std::time::Duration;

use axum::http::{Method, StatusCode, header};
use common::*;
use overlord::auth::{AuthConfig, Role};
use serde_json::json;

#[tokio::test]
async fn loopback_without_forwarded_for_is_admin() {
    let t = app();
    let a = send(&t.app, empty(request_to(Method::GET, "/api/auth/me", LOOPBACK, "localhost:8080"))).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body, json!({"username": "(loopback)", "role": "admin", "via": "loopback"}));
    let list = send(&t.app, empty(request(Method::GET, "/api/admin/users", "[::1]:4000"))).await;
    // HOST of the fixture is overlord.test: a foreign name on loopback is not trusted.
    assert_eq!(list.status, StatusCode::UNAUTHORIZED);
    let list = send(&t.app, empty(request_to(Method::GET, "/api/admin/users", "[::1]:4000", "[::1]:8080"))).await;
    assert_eq!(list.status, StatusCode::OK);
}

#[tokio::test]
async fn loopback_with_forwarded_for_is_401() {
    let t = app();
    for (name, value) in [
        ("x-forwarded-for", "127.0.0.1"),
        ("x-forwarded-for", "203.0.113.9"),
        ("forwarded", "for=127.0.0.1"),
        ("x-real-ip", "127.0.0.1"),
    ] {
        let req = empty(request_to(Method::GET, "/api/notes", LOOPBACK, "localhost:8080").header(name, value));
        assert_eq!(send(&t.app, req).await.status, StatusCode::UNAUTHORIZED, "{name}: {value}");
    }
}

#[tokio::test]
async fn loopback_trust_off_means_401() {
    let t = app_with(AuthConfig { trust_loopback: false, ..fast_config() });
    let req = empty(request_to(Method::GET, "/api/notes", LOOPBACK, "localhost:8080"));
    assert_eq!(send(&t.app, req).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn foreign_page_in_a_local_browser_gets_no_loopback_trust() {
    let t = app();
    // A WebSocket opened by evil.example's page against 127.0.0.1.
    let ws = empty(
        request_to(Method::GET, "/ws/live", LOOPBACK, "127.0.0.1:8080")
            .header(header::ORIGIN, "https://evil.example")
            .header(header::UPGRADE, "websocket"),
    );
    assert_eq!(send(&t.app, ws).await.status, StatusCode::FORBIDDEN);
    // A cross-site form post against 127.0.0.1.
    let post = json_body(
        request_to(Method::POST, "/api/admin/users", LOOPBACK, "127.0.0.1:8080")
            .header(header::ORIGIN, "https://evil.example"),
        &json!({"username": "pwned", "password": "password1", "role": "admin"}),
    );
    assert_eq!(send(&t.app, post).await.status, StatusCode::FORBIDDEN);
    // A script on the host (no Origin) may.
    let script = json_body(
        request_to(Method::POST, "/api/admin/users", LOOPBACK, "127.0.0.1:8080"),
        &json!({"username": "scripted", "password": "password1", "role": "member"}),
    );
    assert_eq!(send(&t.app, script).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn trusted_proxy_forwards_client_address_and_https() {
    let t = app_with(AuthConfig {
        trusted_proxies: vec!["10.0.0.0/8".parse().expect("cidr")],
        login_max_failures: 2,
        ..fast_config()
    });
    create_user(&t, "a", "password1", Role::Member).await;
    let via_proxy = |client: &str| {
        json_body(
            request(Method::POST, "/api/auth/login", "10.0.0.2:443")
                .header(header::ORIGIN, "https://overlord.example.org")
                .header("x-forwarded-host", "overlord.example.org")
                .header("x-forwarded-for", format!("1.1.1.1, {client}"))
                .header("x-forwarded-proto", "https"),
            &json!({"username": "a", "password": "password1"}),
        )
    };
    let ok = send(&t.app, via_proxy("198.51.100.20")).await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert!(ok.headers[header::SET_COOKIE].to_str().expect("ascii").ends_with("; Secure"));
    let who = send(
        &t.app,
        empty(
            request(Method::GET, "/api/notes", "10.0.0.2:443")
                .header(header::COOKIE, ok.cookie())
                .header("x-forwarded-for", "198.51.100.20")
                .header("x-forwarded-proto", "https"),
        ),
    )
    .await;
    assert_eq!(who.body["client"], "198.51.100.20");
    assert_eq!(who.body["https"], true);

    // Failures are counted per forwarded client: one client blocked, another not.
    for _ in 0..2 {
        let bad = json_body(
            request(Method::POST, "/api/auth/login", "10.0.0.2:443").header("x-forwarded-for", "198.51.100.66"),
            &json!({"username": "nobody", "password": "password1"}),
        );
        assert_eq!(send(&t.app, bad).await.status, StatusCode::UNAUTHORIZED);
    }
    let bad = json_body(
        request(Method::POST, "/api/auth/login", "10.0.0.2:443").header("x-forwarded-for", "198.51.100.66"),
        &json!({"username": "other", "password": "password1"}),
    );
    assert_eq!(send(&t.app, bad).await.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(send(&t.app, via_proxy("198.51.100.21")).await.status, StatusCode::OK);
}

#[tokio::test]
async fn untrusted_peer_cannot_pick_its_address_or_https() {
    let t = app_with(AuthConfig {
        trusted_proxies: vec!["10.0.0.0/8".parse().expect("cidr")],
        login_max_failures: 2,
        ..fast_config()
    });
    create_user(&t, "a", "password1", Role::Member).await;
    // Rotating X-Forwarded-For from an untrusted peer does not escape the limit.
    for i in 0..2 {
        let bad = json_body(
            request(Method::POST, "/api/auth/login", REMOTE).header("x-forwarded-for", format!("192.0.2.{i}")),
            &json!({"username": format!("n{i}"), "password": "password1"}),
        );
        assert_eq!(send(&t.app, bad).await.status, StatusCode::UNAUTHORIZED);
    }
    let bad = json_body(
        request(Method::POST, "/api/auth/login", REMOTE).header("x-forwarded-for", "192.0.2.77"),
        &json!({"username": "n9", "password": "password1"}),
    );
    assert_eq!(send(&t.app, bad).await.status, StatusCode::TOO_MANY_REQUESTS);

    let ok = login_from(&t, "a", "password1", "198.51.100.3:9").await;
    let who = send(
        &t.app,
        empty(
            request(Method::GET, "/api/notes", "198.51.100.3:9")
                .header(header::COOKIE, ok.cookie())
                .header("x-forwarded-for", "10.9.9.9")
                .header("x-forwarded-proto", "https"),
        ),
    )
    .await;
    assert_eq!(who.body["client"], "198.51.100.3");
    assert_eq!(who.body["https"], false);
}

#[tokio::test]
async fn cross_site_post_with_a_session_cookie_is_refused() {
    let t = app();
    create_user(&t, "a", "password1", Role::Member).await;
    let cookie = login(&t, "a", "password1").await.cookie();
    let post = |extra: Option<(&'static str, &'static str)>| {
        let mut b = request(Method::POST, "/api/notes", REMOTE).header(header::COOKIE, &cookie);
        if let Some((k, v)) = extra {
            b = b.header(k, v);
        }
        empty(b)
    };
    let foreign = send(&t.app, post(Some(("origin", "https://evil.example")))).await;
    assert_eq!((foreign.status, foreign.error_code()), (StatusCode::FORBIDDEN, "forbidden"));
    let null = send(&t.app, post(Some(("origin", "null")))).await;
    assert_eq!(null.status, StatusCode::FORBIDDEN);
    let referer = send(&t.app, post(Some(("referer", "https://evil.example/page")))).await;
    assert_eq!(referer.status, StatusCode::FORBIDDEN);
    let fetch_site = send(&t.app, post(Some(("sec-fetch-site", "cross-site")))).await;
    assert_eq!(fetch_site.status, StatusCode::FORBIDDEN);
    let no_origin = send(&t.app, post(None)).await;
    assert_eq!(no_origin.status, StatusCode::FORBIDDEN, "cookie without Origin/Referer");

    let same = send(&t.app, post(Some(("origin", "http://overlord.test:8080")))).await;
    assert_eq!(same.status, StatusCode::OK);
    let same_ref = send(&t.app, post(Some(("referer", "http://overlord.test:8080/items?q=x")))).await;
    assert_eq!(same_ref.status, StatusCode::OK);
    // GETs are never blocked by the guard.
    let get = send(
        &t.app,
        empty(
            request(Method::GET, "/api/notes", REMOTE)
                .header(header::COOKIE, &cookie)
                .header(header::ORIGIN, "https://evil.example"),
        ),
    )
    .await;
    assert_eq!(get.status, StatusCode::OK);
}

#[tokio::test]
async fn cross_site_login_is_refused() {
    let t = app();
    create_user(&t, "a", "password1", Role::Member).await;
    let req = json_body(
        request(Method::POST, "/api/auth/login", REMOTE).header(header::ORIGIN, "https://evil.example"),
        &json!({"username": "a", "password": "password1"}),
    );
    assert_eq!(send(&t.app, req).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn configured_public_origin_is_accepted_when_a_proxy_rewrites_host() {
    let t = app_with(AuthConfig { public_origin: Some("https://Overlord.Example.org/".into()), ..fast_config() });
    create_user(&t, "a", "password1", Role::Member).await;
    let cookie = login(&t, "a", "password1").await.cookie();
    let req = empty(
        request_to(Method::POST, "/api/notes", REMOTE, "127.0.0.1:8080")
            .header(header::COOKIE, &cookie)
            .header(header::ORIGIN, "https://overlord.example.org"),
    );
    assert_eq!(send(&t.app, req).await.status, StatusCode::OK);
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let t = app();
    for path in ["/api/auth/setup", "/api/notes"] {
        let a = send(&t.app, empty(request(Method::GET, path, REMOTE))).await;
        let csp = a.headers[header::CONTENT_SECURITY_POLICY].to_str().expect("ascii");
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'self'"));
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"));
        assert_eq!(a.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(a.headers[header::REFERRER_POLICY], "same-origin");
        assert_eq!(a.headers[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(a.headers[header::CACHE_CONTROL], "no-store");
    }
}

#[tokio::test]
async fn concurrent_guesses_cannot_overrun_the_limit() {
    let t = app_with(AuthConfig { login_max_failures: 3, login_window: Duration::from_secs(60), ..fast_config() });
    let mut tasks = Vec::new();
    for i in 0..20 {
        let app = t.app.clone();
        tasks.push(tokio::spawn(async move {
            let req = json_body(
                request(Method::POST, "/api/auth/login", REMOTE),
                &json!({"username": format!("g{i}"), "password": "password1"}),
            );
            send(&app, req).await.status
        }));
    }
    let mut unauthorized = 0;
    for task in tasks {
        if task.await.expect("join") == StatusCode::UNAUTHORIZED {
            unauthorized += 1;
        }
    }
    assert_eq!(unauthorized, 3, "only max_failures guesses may reach the password check");
}

/// Issue 13 item 9: with a `Host` that has no port, the origin's scheme still has to be
/// the one the request arrived by (plain http here): `https://overlord.test` is another
/// origin than `http://overlord.test`, though host and default ports would "match".
#[tokio::test]
async fn origin_scheme_must_match_when_the_host_has_no_port() {
    let t = app();
    create_user(&t, "a", "password1", Role::Member).await;
    let cookie = login(&t, "a", "password1").await.cookie();
    let post = |origin: &'static str| {
        empty(
            request_to(Method::POST, "/api/notes", REMOTE, "overlord.test")
                .header(header::COOKIE, &cookie)
                .header(header::ORIGIN, origin),
        )
    };
    assert_eq!(send(&t.app, post("https://overlord.test")).await.status, StatusCode::FORBIDDEN);
    assert_eq!(send(&t.app, post("https://overlord.test:80")).await.status, StatusCode::FORBIDDEN);
    assert_eq!(send(&t.app, post("http://overlord.test")).await.status, StatusCode::OK);
    assert_eq!(send(&t.app, post("http://overlord.test:80")).await.status, StatusCode::OK);
}
