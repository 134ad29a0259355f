//! Sessions end to end: cookies, expiry, revocation, the session middleware.

#[path = "auth_support/mod.rs"]
mod common;

use std::time::Duration;

use axum::http::{Method, StatusCode, header};
use common::*;
use overlord::auth::{AuthConfig, Role, cli, store};
use serde_json::json;

#[tokio::test]
async fn request_without_cookie_is_401_everywhere_protected() {
    let t = app();
    for path in ["/api/notes", "/api/auth/me", "/ws/live", "/api/admin/users"] {
        let a = send(&t.app, empty(request(Method::GET, path, REMOTE))).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(a.error_code(), "unauthorized", "{path}");
    }
}

#[tokio::test]
async fn login_sets_a_hardened_cookie_that_opens_protected_routes() {
    let t = app();
    create_user(&t, "Mossy Tank", "password1", Role::Member).await;
    let a = login(&t, "mossy tank", "password1").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body, json!({"user": {"username": "Mossy Tank", "role": "member", "via": "session"}}));
    let set = a.headers[header::SET_COOKIE].to_str().expect("ascii");
    assert!(set.starts_with("overlord_session="));
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Path=/"));
    assert!(set.contains(&format!("Max-Age={}", 30 * 24 * 3600 - 1)) || set.contains("Max-Age=2592000"));
    assert!(!set.contains("Secure"), "plain http must not get a Secure cookie");
    let token = a.cookie()["overlord_session=".len()..].to_string();
    assert_eq!(token.len(), 64, "256-bit id as hex");

    let me = get_with_cookie(&t, "/api/auth/me", &a.cookie()).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body, json!({"username": "Mossy Tank", "role": "member", "via": "session"}));
    let p = get_with_cookie(&t, "/api/notes", &a.cookie()).await;
    assert_eq!(p.status, StatusCode::OK);
    assert_eq!(p.body["username"], "Mossy Tank");
    let ws = get_with_cookie(&t, "/ws/live", &a.cookie()).await;
    assert_eq!(ws.status, StatusCode::OK);
}

#[tokio::test]
async fn tampered_cookie_is_401() {
    let t = app();
    create_user(&t, "a", "password1", Role::Member).await;
    let cookie = login(&t, "a", "password1").await.cookie();
    let last = cookie.chars().last().expect("char");
    let flipped = if last == '0' { '1' } else { '0' };
    let tampered = format!("{}{flipped}", &cookie[..cookie.len() - 1]);
    for bad in [tampered.as_str(), "overlord_session=", "overlord_session=zz", "overlord_session=../../etc"] {
        let a = get_with_cookie(&t, "/api/notes", bad).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{bad}");
    }
}

#[tokio::test]
async fn expired_cookie_is_401() {
    let t = app_with(AuthConfig { session_ttl: Duration::from_secs(1), ..fast_config() });
    create_user(&t, "a", "password1", Role::Member).await;
    let cookie = login(&t, "a", "password1").await.cookie();
    assert_eq!(get_with_cookie(&t, "/api/notes", &cookie).await.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let a = get_with_cookie(&t, "/api/notes", &cookie).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(t.auth.purge_expired_sessions().await.expect("purge"), 1);
}

#[tokio::test]
async fn used_session_slides_its_expiry_and_resends_the_cookie() {
    let t = app_with(AuthConfig { session_ttl: Duration::from_secs(2), ..fast_config() });
    create_user(&t, "a", "password1", Role::Member).await;
    let cookie = login(&t, "a", "password1").await.cookie();
    // Keep using it past its original lifetime: every use after a tenth of the TTL extends it.
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let a = get_with_cookie(&t, "/api/notes", &cookie).await;
        assert_eq!(a.status, StatusCode::OK);
        let set = a.headers.get(header::SET_COOKIE).expect("refreshed cookie");
        let set = set.to_str().expect("ascii");
        assert!(set.contains("Max-Age=1;") || set.contains("Max-Age=2;"), "{set}");
    }
}

#[tokio::test]
async fn logout_revokes_the_session() {
    let t = app();
    create_user(&t, "a", "password1", Role::Member).await;
    let cookie = login(&t, "a", "password1").await.cookie();
    let req = empty(
        request(Method::POST, "/api/auth/logout", REMOTE)
            .header(header::COOKIE, &cookie)
            .header(header::ORIGIN, origin()),
    );
    let a = send(&t.app, req).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    assert!(a.headers[header::SET_COOKIE].to_str().expect("ascii").contains("Max-Age=0"));
    assert_eq!(get_with_cookie(&t, "/api/notes", &cookie).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn password_change_by_admin_revokes_that_users_sessions_only() {
    let t = app();
    create_user(&t, "boss", "password1", Role::Admin).await;
    create_user(&t, "pleb", "password2", Role::Member).await;
    let boss = login(&t, "boss", "password1").await.cookie();
    let pleb = login(&t, "pleb", "password2").await.cookie();
    let req = json_body(
        request(Method::PATCH, "/api/admin/users/PLEB", REMOTE)
            .header(header::COOKIE, &boss)
            .header(header::ORIGIN, origin()),
        &json!({"password": "new password"}),
    );
    let a = send(&t.app, req).await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    assert_eq!(get_with_cookie(&t, "/api/notes", &pleb).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(get_with_cookie(&t, "/api/notes", &boss).await.status, StatusCode::OK);
    assert_eq!(login(&t, "pleb", "password2").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(login(&t, "pleb", "new password").await.status, StatusCode::OK);
}

#[tokio::test]
async fn cli_password_change_revokes_sessions() {
    let t = app();
    create_user(&t, "a", "password1", Role::Admin).await;
    let cookie = login(&t, "a", "password1").await.cookie();
    let hashing = overlord::auth::PasswordHashing::insecure_fast_for_tests();
    let revoked = cli::user_passwd_with_password(&t.db, &hashing, "a", "password9").expect("passwd");
    assert_eq!(revoked, 1);
    assert_eq!(get_with_cookie(&t, "/api/notes", &cookie).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(store::session_count(&t.db, "a").expect("count"), 0);
}

#[tokio::test]
async fn demoted_admin_loses_admin_rights_on_the_next_request() {
    let t = app();
    create_user(&t, "boss", "password1", Role::Admin).await;
    create_user(&t, "other", "password2", Role::Admin).await;
    let cookie = login(&t, "other", "password2").await.cookie();
    assert_eq!(get_with_cookie(&t, "/api/admin/users", &cookie).await.status, StatusCode::OK);
    t.auth.update_user("other", None, Some(Role::Member)).await.expect("demote");
    let a = get_with_cookie(&t, "/api/admin/users", &cookie).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn deleted_user_session_stops_working() {
    let t = app();
    create_user(&t, "boss", "password1", Role::Admin).await;
    create_user(&t, "gone", "password2", Role::Member).await;
    let cookie = login(&t, "gone", "password2").await.cookie();
    t.auth.delete_user("gone").await.expect("delete");
    assert_eq!(get_with_cookie(&t, "/api/auth/me", &cookie).await.status, StatusCode::UNAUTHORIZED);
}
