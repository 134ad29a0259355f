//! Issue 13, sign-in and CSRF: guessing from many addresses cannot keep a member out, is
//! still slowed, and an Origin of the wrong scheme is refused even when Host has no port.

#[path = "auth_support/mod.rs"]
mod common;

use axum::http::{Method, StatusCode, header};
use common::*;
use overlord::auth::{AuthConfig, Role};
use serde_json::json;

#[tokio::test]
async fn strangers_guessing_a_username_cannot_keep_its_owner_out_of_a_known_address() {
    let t = app_with(AuthConfig { login_max_failures: 3, ..fast_config() });
    create_user(&t, "victim", "password1", Role::Member).await;
    let home = "203.0.113.40:5000";
    assert_eq!(login_from(&t, "victim", "password1", home).await.status, StatusCode::OK);
    // Thirty wrong passwords from thirty addresses (the old limiter locked the account for
    // five minutes after ten).
    let mut refused = 0;
    for i in 0..30 {
        let a = login_from(&t, "victim", "wrong password", &format!("198.51.100.{}:1", i + 1)).await;
        if a.status == StatusCode::TOO_MANY_REQUESTS {
            refused += 1;
        }
    }
    assert!(refused >= 20, "guessing from other addresses is slowed: only {refused} of 30 refused");
    let back_home = login_from(&t, "victim", "password1", home).await;
    assert_eq!(back_home.status, StatusCode::OK, "{:?}", back_home.body);
}

#[tokio::test]
async fn a_new_address_waits_seconds_not_minutes_behind_guessing() {
    let t = app_with(AuthConfig { login_max_failures: 2, ..fast_config() });
    create_user(&t, "victim", "password1", Role::Member).await;
    for i in 0..2 {
        let a = login_from(&t, "victim", "nope nope", &format!("198.51.100.{}:1", i + 1)).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    }
    let travelling = "192.0.2.200:1";
    let slowed = login_from(&t, "victim", "password1", travelling).await;
    assert_eq!(slowed.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = slowed.headers[header::RETRY_AFTER].to_str().expect("ascii").parse().expect("seconds");
    assert!(retry <= 2, "the first delay is about a second, got {retry}");
    tokio::time::sleep(std::time::Duration::from_secs(retry)).await;
    assert_eq!(login_from(&t, "victim", "password1", travelling).await.status, StatusCode::OK);
}

#[tokio::test]
async fn an_origin_of_the_other_scheme_is_refused_when_host_has_no_port() {
    let t = app();
    create_user(&t, "a", "password1", Role::Member).await;
    let attempt = |origin: &'static str| {
        json_body(
            request_to(Method::POST, "/api/auth/login", REMOTE, "overlord.test").header(header::ORIGIN, origin),
            &json!({"username": "a", "password": "password1"}),
        )
    };
    // Served over plain http (no trusted proxy said https): an https page is another origin.
    let foreign = send(&t.app, attempt("https://overlord.test")).await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN, "{:?}", foreign.body);
    let same = send(&t.app, attempt("http://overlord.test")).await;
    assert_eq!(same.status, StatusCode::OK, "{:?}", same.body);
}

#[tokio::test]
async fn behind_a_trusted_https_proxy_only_the_https_origin_passes() {
    let t = app_with(AuthConfig { trusted_proxies: vec!["10.0.0.0/8".parse().expect("cidr")], ..fast_config() });
    create_user(&t, "a", "password1", Role::Member).await;
    let attempt = |origin: &'static str| {
        json_body(
            request_to(Method::POST, "/api/auth/login", "10.0.0.2:443", "overlord.test")
                .header("x-forwarded-for", "198.51.100.20")
                .header("x-forwarded-proto", "https")
                .header(header::ORIGIN, origin),
            &json!({"username": "a", "password": "password1"}),
        )
    };
    assert_eq!(send(&t.app, attempt("http://overlord.test")).await.status, StatusCode::FORBIDDEN);
    assert_eq!(send(&t.app, attempt("https://overlord.test")).await.status, StatusCode::OK);
}
