//! Accounts end to end: first-run setup, user administration, sign-in rules.

#[path = "auth_support/mod.rs"]
mod common;

use std::time::Instant;

use axum::http::{Method, StatusCode, header};
use common::*;
use overlord::auth::{AuthConfig, PasswordHashing, Role, cli, store};
use serde_json::json;

#[tokio::test]
async fn setup_token_creates_the_first_admin_once() {
    let t = app();
    let token = t.auth.setup_token().expect("no user yet: setup is open");
    assert_eq!(token.len(), 64);
    assert!(
        t.auth.setup_url("http://host:8080/").is_some_and(|u| u == format!("http://host:8080/setup?token={token}"))
    );

    let status = send(&t.app, empty(request(Method::GET, "/api/auth/setup", REMOTE))).await;
    assert_eq!(status.body, json!({"needed": true}));

    let post = |token: String, name: &str| {
        json_body(
            request(Method::POST, "/api/auth/setup", REMOTE).header(header::ORIGIN, origin()),
            &json!({"token": token, "username": name, "password": "first password"}),
        )
    };
    let wrong = send(&t.app, post("0".repeat(64), "root")).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);

    let ok = send(&t.app, post(token.clone(), "Root")).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{:?}", ok.body);
    assert_eq!(ok.body, json!({"user": {"username": "Root", "role": "admin", "via": "session"}}));
    let me = get_with_cookie(&t, "/api/auth/me", &ok.cookie()).await;
    assert_eq!(me.body, json!({"username": "Root", "role": "admin", "via": "session"}));

    let again = send(&t.app, post(token, "second")).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(t.auth.setup_token().is_none());
    let status = send(&t.app, empty(request(Method::GET, "/api/auth/setup", REMOTE))).await;
    assert_eq!(status.body, json!({"needed": false}));
}

#[tokio::test]
async fn setup_closes_when_a_user_is_created_another_way() {
    let t = app();
    assert!(t.auth.setup_needed());
    create_user(&t, "admin", "password1", Role::Admin).await;
    assert!(!t.auth.setup_needed());
    assert!(!t.auth.log_setup_url("http://x"));
}

#[tokio::test]
async fn member_is_forbidden_on_admin_endpoints() {
    let t = app();
    create_user(&t, "boss", "password1", Role::Admin).await;
    create_user(&t, "pleb", "password2", Role::Member).await;
    let cookie = login(&t, "pleb", "password2").await.cookie();
    let list = get_with_cookie(&t, "/api/admin/users", &cookie).await;
    assert_eq!(list.status, StatusCode::FORBIDDEN);
    assert_eq!(list.error_code(), "forbidden");
    for (method, path) in [
        (Method::POST, "/api/admin/users"),
        (Method::PATCH, "/api/admin/users/boss"),
        (Method::DELETE, "/api/admin/users/boss"),
    ] {
        let req = json_body(
            request(method.clone(), path, REMOTE).header(header::COOKIE, &cookie).header(header::ORIGIN, origin()),
            &json!({"username": "x", "password": "password3", "role": "admin"}),
        );
        assert_eq!(send(&t.app, req).await.status, StatusCode::FORBIDDEN, "{method} {path}");
    }
}

#[tokio::test]
async fn admin_manages_users_per_api_contract() {
    let t = app();
    create_user(&t, "boss", "password1", Role::Admin).await;
    let cookie = login(&t, "boss", "password1").await.cookie();
    let call = |method: Method, path: &str, body: serde_json::Value| {
        json_body(request(method, path, REMOTE).header(header::COOKIE, &cookie).header(header::ORIGIN, origin()), &body)
    };
    let created = send(
        &t.app,
        call(
            Method::POST,
            "/api/admin/users",
            json!({"username": "Mule One", "password": "password2", "role": "member"}),
        ),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.body["user"]["username"], "Mule One");
    let dup = send(
        &t.app,
        call(
            Method::POST,
            "/api/admin/users",
            json!({"username": "mule one", "password": "password2", "role": "member"}),
        ),
    )
    .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    let weak = send(
        &t.app,
        call(Method::POST, "/api/admin/users", json!({"username": "weak", "password": "short", "role": "member"})),
    )
    .await;
    assert_eq!((weak.status, weak.error_code()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid"));
    let bad_name = send(
        &t.app,
        call(
            Method::POST,
            "/api/admin/users",
            json!({"username": "<script>", "password": "password2", "role": "member"}),
        ),
    )
    .await;
    assert_eq!(bad_name.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad_role = send(
        &t.app,
        call(Method::POST, "/api/admin/users", json!({"username": "x", "password": "password2", "role": "god"})),
    )
    .await;
    assert_eq!(bad_role.status, StatusCode::UNPROCESSABLE_ENTITY);

    let list = get_with_cookie(&t, "/api/admin/users", &cookie).await;
    assert_eq!(list.status, StatusCode::OK);
    let users = list.body["users"].as_array().expect("users");
    assert_eq!(users.len(), 2);
    assert_eq!(users[0]["username"], "boss");
    assert!(users[0]["last_login_ms"].is_i64());
    assert!(users[1]["created_ms"].is_i64() && users[1]["last_login_ms"].is_null());

    let promoted = send(&t.app, call(Method::PATCH, "/api/admin/users/Mule%20One", json!({"role": "admin"}))).await;
    assert_eq!(promoted.status, StatusCode::OK);
    assert_eq!(promoted.body["user"]["role"], "admin");
    let nothing = send(&t.app, call(Method::PATCH, "/api/admin/users/boss", json!({}))).await;
    assert_eq!(nothing.status, StatusCode::UNPROCESSABLE_ENTITY);
    let missing = send(&t.app, call(Method::PATCH, "/api/admin/users/nobody", json!({"role": "member"}))).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let deleted = send(&t.app, call(Method::DELETE, "/api/admin/users/mule%20one", json!({}))).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn last_admin_cannot_be_deleted_or_demoted() {
    let t = app();
    create_user(&t, "boss", "password1", Role::Admin).await;
    create_user(&t, "pleb", "password2", Role::Member).await;
    let cookie = login(&t, "boss", "password1").await.cookie();
    let req = |method: Method, body: serde_json::Value| {
        json_body(
            request(method, "/api/admin/users/boss", REMOTE)
                .header(header::COOKIE, &cookie)
                .header(header::ORIGIN, origin()),
            &body,
        )
    };
    let del = send(&t.app, req(Method::DELETE, json!({}))).await;
    assert_eq!((del.status, del.error_code()), (StatusCode::CONFLICT, "conflict"));
    let demote = send(&t.app, req(Method::PATCH, json!({"role": "member"}))).await;
    assert_eq!(demote.status, StatusCode::CONFLICT);
    assert!(matches!(cli::user_remove(&t.db, "boss"), Err(overlord::auth::AuthError::Conflict(_))));
}

#[tokio::test]
async fn unknown_user_and_wrong_password_get_the_same_answer() {
    let t = app();
    create_user(&t, "real", "password1", Role::Member).await;
    let wrong = login(&t, "real", "password2").await;
    let unknown = login(&t, "ghost", "password2").await;
    let invalid_name = login(&t, "(not a name)", "password2").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!((wrong.status, &wrong.body), (unknown.status, &unknown.body));
    assert_eq!((wrong.status, &wrong.body), (invalid_name.status, &invalid_name.body));
    assert!(wrong.headers.get(header::SET_COOKIE).is_none());
}

#[tokio::test]
async fn unknown_user_costs_as_much_time_as_a_wrong_password() {
    // Parameters heavy enough (8 MiB, t=2: a few ms) that skipping the hash would show.
    let t = app_with(AuthConfig {
        password_hashing: PasswordHashing { memory_kib: 8 * 1024, iterations: 2, parallelism: 1 },
        login_max_failures: 1_000,
        ..AuthConfig::default()
    });
    create_user(&t, "real", "password1", Role::Member).await;
    let mut wrong = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..7 {
        let t0 = Instant::now();
        login(&t, "real", "password2").await;
        wrong.push(t0.elapsed());
        let t0 = Instant::now();
        login(&t, "ghost", "password2").await;
        unknown.push(t0.elapsed());
    }
    wrong.sort();
    unknown.sort();
    let (w, u) = (wrong[3].as_secs_f64(), unknown[3].as_secs_f64());
    // Without the dummy verification the ratio is ~100; allow noise from a shared machine.
    assert!(u / w > 0.33 && u / w < 3.0, "median wrong {w:.4}s vs unknown {u:.4}s");
}

#[tokio::test]
async fn brute_force_from_one_address_gets_429_with_retry_after() {
    let t = app_with(AuthConfig { login_max_failures: 5, ..fast_config() });
    create_user(&t, "victim", "password1", Role::Member).await;
    for i in 0..5 {
        let a = login(&t, &format!("guess{i}"), "password2").await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    }
    let blocked = login(&t, "victim", "password1").await;
    assert_eq!((blocked.status, blocked.error_code()), (StatusCode::TOO_MANY_REQUESTS, "rate_limited"));
    let retry: u64 = blocked.headers[header::RETRY_AFTER].to_str().expect("ascii").parse().expect("seconds");
    assert!((1..=300).contains(&retry), "{retry}");
    // Another address is unaffected.
    assert_eq!(login_from(&t, "victim", "password1", "198.51.100.1:1").await.status, StatusCode::OK);
}

#[tokio::test]
async fn brute_force_on_one_username_from_many_addresses_gets_429() {
    let t = app_with(AuthConfig { login_max_failures: 3, ..fast_config() });
    create_user(&t, "victim", "password1", Role::Member).await;
    for i in 0..3 {
        let peer = format!("198.51.100.{}:1", i + 1);
        assert_eq!(login_from(&t, "victim", "nope nope", &peer).await.status, StatusCode::UNAUTHORIZED);
    }
    let a = login_from(&t, "VICTIM", "nope nope", "198.51.100.99:1").await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(a.headers.contains_key(header::RETRY_AFTER));
}

#[tokio::test]
async fn bcrypt_hash_from_the_seed_system_verifies_and_is_upgraded() {
    let t = app();
    let legacy = bcrypt::hash("seed password", 4).expect("bcrypt");
    assert!(legacy.starts_with("$2b$"));
    cli::user_import_hash(&t.db, "Veteran", Role::Admin, &legacy).expect("import");
    assert_eq!(login(&t, "veteran", "wrong password").await.status, StatusCode::UNAUTHORIZED);
    let a = login(&t, "veteran", "seed password").await;
    assert_eq!(a.status, StatusCode::OK);
    let stored = store::get_user(&t.db, "veteran").expect("get").expect("user");
    assert!(stored.password_hash.starts_with("$argon2id$v=19$m=8,t=1,p=1$"), "{}", stored.password_hash);
    assert!(stored.last_login_ms.is_some());
    assert_eq!(login(&t, "veteran", "seed password").await.status, StatusCode::OK);
}

#[tokio::test]
async fn body_over_the_limit_is_413() {
    let t = app();
    let huge = "x".repeat(overlord::http::auth::AUTH_BODY_LIMIT_BYTES + 1);
    let req = json_body(
        request(Method::POST, "/api/auth/login", REMOTE).header(header::ORIGIN, origin()),
        &json!({"username": "a", "password": huge}),
    );
    let a = send(&t.app, req).await;
    assert_eq!((a.status, a.error_code()), (StatusCode::PAYLOAD_TOO_LARGE, "too_large"));
}

#[tokio::test]
async fn malformed_login_body_is_400_in_the_error_shape() {
    let t = app();
    let req = request(Method::POST, "/api/auth/login", REMOTE)
        .header(header::CONTENT_TYPE, "application/json")
        .body(axum::body::Body::from("{not json"))
        .expect("request");
    let a = send(&t.app, req).await;
    assert_eq!((a.status, a.error_code()), (StatusCode::BAD_REQUEST, "bad_request"));
}

#[tokio::test]
async fn cli_user_add_then_login_works() {
    let t = app();
    let hashing = PasswordHashing::insecure_fast_for_tests();
    cli::user_add_with_password(&t.db, &hashing, "Scripted", Role::Member, "password1").expect("add");
    assert_eq!(login(&t, "scripted", "password1").await.status, StatusCode::OK);
}

#[tokio::test]
async fn setup_token_guessing_is_limited_per_address_only() {
    let t = app_with(AuthConfig { login_max_failures: 2, ..fast_config() });
    let token = t.auth.setup_token().expect("open");
    let attempt = |peer: &str, token: String| {
        json_body(
            request(Method::POST, "/api/auth/setup", peer),
            &json!({"token": token, "username": "root", "password": "password1"}),
        )
    };
    for _ in 0..2 {
        let a = send(&t.app, attempt(REMOTE, "f".repeat(64))).await;
        assert_eq!(a.status, StatusCode::FORBIDDEN);
    }
    let blocked = send(&t.app, attempt(REMOTE, token.clone())).await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    let other = send(&t.app, attempt("198.51.100.8:1", token)).await;
    assert_eq!(other.status, StatusCode::CREATED);
}
