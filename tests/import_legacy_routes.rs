//! Old clients of the replaced stack: compatible answers where the mapping is obvious, a
//! JSON error naming the new path otherwise, a JSON 404 for unknown `/api/…` paths, and
//! `index.html` only for real dashboard routes.

mod common;

use common::TestServer;

async fn raw(server: &TestServer, path: &str) -> (u16, Option<String>, String, Option<String>) {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let r = client.get(format!("{}{}", server.base, path)).send().await.expect("get");
    let status = r.status().as_u16();
    let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).map(String::from);
    let location = r.headers().get("location").and_then(|v| v.to_str().ok()).map(String::from);
    (status, ct, r.text().await.expect("body"), location)
}

#[tokio::test]
async fn old_routes_answer_compatibly_or_name_the_new_path() {
    let server = TestServer::start().await;
    let (s, v) = server.get("/api-version").await;
    assert_eq!(s, 200);
    assert!(v["version"].is_string() && v["moved_to"] == "/api/version", "{v}");
    let (s, v) = server.get("/me").await;
    assert_eq!(s, 200, "loopback is admin: {v}");
    assert_eq!(v["is_admin"], true);
    let (s, v) = server.get("/live").await;
    assert_eq!(s, 200);
    assert!(v["players"].is_array(), "{v}");

    for (old, new) in [
        ("/inv/search/items?name=axe", "/api/items/search"),
        ("/inv/characters/Mossy%20Tank", "/api/characters/{name}/inventory"),
        ("/api-admin/users", "/api/admin/users"),
        ("/api-admin/users/bob", "/api/admin/users/bob"),
    ] {
        let (s, v) = server.get(old).await;
        assert_eq!(s, 404, "{old}: {v}");
        assert_eq!(v["error"]["code"], "not_found", "{old}: {v}");
        assert_eq!(v["error"]["new_path"], new, "{old}: {v}");
    }
    for (old, to) in
        [("/suitbuilder.html", "/suits"), ("/inventory.html", "/items"), ("/classic", "/"), ("/classic/map.html", "/")]
    {
        let (s, _, _, location) = raw(&server, old).await;
        assert_eq!((s, location.as_deref()), (301, Some(to)), "{old}");
    }
    for unknown in ["/api/trails/Mossy", "/api/nope", "/no-such-page", "/wp-admin/setup.php"] {
        let (s, ct, body, _) = raw(&server, unknown).await;
        assert_eq!(s, 404, "{unknown}: {body}");
        assert!(ct.is_some_and(|c| c.starts_with("application/json")), "{unknown} answers JSON");
        assert!(!body.contains("<html"), "{unknown} never gets the app shell");
    }
    for page in ["/", "/map", "/characters/Mossy%20Tank", "/items", "/suits", "/login"] {
        let (s, ct, body, _) = raw(&server, page).await;
        assert_eq!(s, 200, "{page}");
        assert!(ct.is_some_and(|c| c.starts_with("text/html")) && body.contains("<html"), "{page} is the dashboard");
    }
}
