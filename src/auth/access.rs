//! Who may call what: one table, [`ROUTES`], classifying every route the HTTP router
//! serves, and the rules that read it — the write rule for viewers and read tokens, token
//! management kept to people, and the public view's anonymous endpoints.
//!
//! Owns: the route table, the public pages and which reads each needs, and [`decide`].
//! Never: authenticates anyone (that is `service`/`tokens`) or sees HTTP types (the caller
//! passes the method name and the route's template as the router registered it).
//!
//! Everything fails closed: a route missing from the table is refused (and a test fails
//! when a route is added to the router without a line here), a write is refused unless its
//! class lets the caller make it, and an anonymous request is refused unless its route
//! names a page the public view has opened.

use serde::{Deserialize, Serialize};
use std::sync::RwLock;

use super::Role;

/// Pages the public view can open to anonymous visitors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PublicPage {
    Overview,
    Map,
    Leaderboards,
    Rares,
}

impl PublicPage {
    pub const ALL: [PublicPage; 4] =
        [PublicPage::Overview, PublicPage::Map, PublicPage::Leaderboards, PublicPage::Rares];

    pub fn as_str(self) -> &'static str {
        match self {
            PublicPage::Overview => "overview",
            PublicPage::Map => "map",
            PublicPage::Leaderboards => "leaderboards",
            PublicPage::Rares => "rares",
        }
    }

    /// `"overview,map"` → pages; the error names the unknown one and the choices.
    pub fn parse_list(s: &str) -> Result<Vec<PublicPage>, UnknownPublicPage> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let page = PublicPage::ALL
                .into_iter()
                .find(|p| p.as_str().eq_ignore_ascii_case(part))
                .ok_or_else(|| UnknownPublicPage(part.to_string()))?;
            if !out.contains(&page) {
                out.push(page);
            }
        }
        Ok(out)
    }

    /// The read endpoints (route templates) this page calls, from [`ROUTES`].
    pub fn endpoints(self) -> impl Iterator<Item = &'static str> {
        ROUTES.iter().filter(move |r| r.public.contains(&self)).map(|r| r.path)
    }
}

/// A `public_pages` entry that names no public page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a public page: choose among overview, map, leaderboards, rares")]
pub struct UnknownPublicPage(pub String);

/// What a route needs from its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No credential (the route checks its own: a password, the setup token, the plugin
    /// secret) — sign-in, first-run setup, health, the plugin socket.
    Open,
    /// Any signed-in caller: viewer, member, admin, any token scope.
    Read,
    /// The caller's own account (signing out, their API tokens): a person signed in with a
    /// session (or the loopback rule), whatever the role; never a token, so a leaked token
    /// cannot mint, list or revoke tokens.
    Account,
    /// Work that computes from readable data and stores nothing shared (the suit builder):
    /// people of every role, and tokens of the `command` scope or above; not `read` tokens,
    /// which never send anything but reads.
    Compute,
    /// A write to shared data or a command to a game client: members and admins (and
    /// `command`/`admin` tokens).
    Member,
    /// Administration: admins (and `admin` tokens) only.
    Admin,
}

/// One route: its method, its template exactly as the router registers it (`{name}` is
/// one path segment), what it needs, and the public pages that call it.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
    pub public: &'static [PublicPage],
}

const fn r(method: &'static str, path: &'static str, access: Access, public: &'static [PublicPage]) -> Route {
    Route { method, path, access, public }
}

use Access::{Account, Admin, Compute, Member, Open, Read};
use PublicPage::{Leaderboards as LB, Map as MAP, Overview as OV, Rares as RA};
const ALL_PAGES: &[PublicPage] = &PublicPage::ALL;

/// Every route of the router. The public pages listed are those whose dashboard page (or
/// the app frame around it) calls the route: `frontend/src/pages/{Overview,Map,
/// Leaderboards,Rares}` and the live store every page shares (`GET /api/live`; the live
/// socket stays closed to anonymous visitors because it carries chat and commands).
/// Never items, inventories, commands, chat, notes, users, tokens or settings.
pub const ROUTES: &[Route] = &[
    // Service.
    r("GET", "/healthz", Open, &[]),
    r("GET", "/metrics", Read, &[]),
    r("GET", "/metrics/game", Read, &[]),
    r("GET", "/api/version", Read, ALL_PAGES),
    r("GET", "/api/public", Open, &[]),
    // Accounts.
    r("POST", "/api/auth/login", Open, &[]),
    r("GET", "/api/auth/setup", Open, &[]),
    r("POST", "/api/auth/setup", Open, &[]),
    r("GET", "/api/auth/me", Read, &[]),
    r("POST", "/api/auth/logout", Account, &[]),
    r("GET", "/api/tokens", Account, &[]),
    r("POST", "/api/tokens", Account, &[]),
    r("DELETE", "/api/tokens/{id}", Account, &[]),
    r("GET", "/api/admin/users", Admin, &[]),
    r("POST", "/api/admin/users", Admin, &[]),
    r("PATCH", "/api/admin/users/{username}", Admin, &[]),
    r("DELETE", "/api/admin/users/{username}", Admin, &[]),
    // Sockets: the plugin's (its own secret) and the browser's.
    r("GET", "/ws/position", Open, &[]),
    r("GET", "/ws/live", Read, &[]),
    // Characters and the world.
    r("GET", "/api/live", Read, &[OV, MAP, RA]),
    r("GET", "/api/overview", Read, &[OV]),
    r("GET", "/api/attention", Read, &[OV]),
    r("GET", "/api/characters", Read, &[RA]),
    r("GET", "/api/characters/{name}", Read, &[]),
    r("GET", "/api/characters/{name}/trail", Read, &[MAP]),
    r("GET", "/api/characters/{name}/series", Read, &[]),
    r("GET", "/api/characters/{name}/inventory", Read, &[]),
    r("GET", "/api/rares", Read, &[OV, RA]),
    r("GET", "/api/portals", Read, &[]),
    r("GET", "/api/spawns/heatmap", Read, &[]),
    r("GET", "/api/leaderboard", Read, &[LB]),
    r("GET", "/api/leaderboard/gains", Read, &[LB]),
    r("GET", "/api/events", Read, &[]),
    r("GET", "/api/replay/hours", Read, &[MAP]),
    r("GET", "/api/map-image", Read, &[MAP]),
    r("GET", "/api/map-image/file/{version}", Read, &[MAP]),
    // Items.
    r("GET", "/api/items/search", Read, &[]),
    r("GET", "/api/items/stats", Read, &[]),
    r("GET", "/api/items/{owner}/{object_id}", Read, &[]),
    // Notes: members write; the handler lets a note's author (or an admin) edit or delete it.
    r("GET", "/api/notes", Read, &[]),
    r("POST", "/api/notes", Member, &[]),
    r("PATCH", "/api/notes/{id}", Member, &[]),
    r("DELETE", "/api/notes/{id}", Member, &[]),
    // The suit builder.
    r("POST", "/api/suitbuilder/jobs", Compute, &[]),
    r("GET", "/api/suitbuilder/jobs/{id}", Read, &[]),
    r("DELETE", "/api/suitbuilder/jobs/{id}", Compute, &[]),
    r("GET", "/api/suitbuilder/jobs/{id}/events", Read, &[]),
    r("POST", "/api/suitbuilder/solve", Compute, &[]),
    // Administration.
    r("GET", "/api/alerts/settings", Admin, &[]),
    r("PUT", "/api/alerts/settings", Admin, &[]),
    r("POST", "/api/alerts/test", Admin, &[]),
    r("GET", "/api/alerts/recent", Admin, &[]),
    r("POST", "/api/admin/backup", Admin, &[]),
    r("GET", "/api/admin/backups", Admin, &[]),
    r("POST", "/api/admin/backups/run", Admin, &[]),
    r("PUT", "/api/admin/map-image", Admin, &[]),
    r("DELETE", "/api/admin/map-image", Admin, &[]),
    r("PUT", "/api/admin/map-image/url", Admin, &[]),
    r("PUT", "/api/admin/map-image/bounds", Admin, &[]),
    // Old routes answered in a shape old scripts read.
    r("GET", "/api-version", Open, &[]),
    r("GET", "/live", Read, &[]),
    r("GET", "/me", Read, &[]),
];

/// The route of `method template`; `HEAD` is answered by a `GET` route.
pub fn route(method: &str, template: &str) -> Option<&'static Route> {
    let method = if method == "HEAD" { "GET" } else { method };
    ROUTES.iter().find(|r| r.method == method && r.path == template)
}

/// Who is asking, as far as access is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// No credential.
    Anonymous,
    /// A person: a session (or the loopback rule) with this role.
    Person(Role),
    /// An API token acting with this role (its scope's, capped at its user's).
    Token(Role),
}

/// The answer for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Anonymous and the public view opens it: serve it as a read-only visitor.
    AllowPublic,
    /// 401: sign in (or present a token).
    Unauthenticated,
    /// 403, with the reason to show.
    Forbidden(&'static str),
}

/// The rule, from the route's class, the caller and the public view.
pub fn decide(route: &Route, who: Who, public: &PublicView) -> Decision {
    let role = match who {
        _ if route.access == Access::Open => return Decision::Allow,
        Who::Anonymous if public.opens(route) => return Decision::AllowPublic,
        Who::Anonymous => return Decision::Unauthenticated,
        Who::Person(role) | Who::Token(role) => role,
    };
    let token = matches!(who, Who::Token(_));
    match route.access {
        Access::Open | Access::Read => Decision::Allow,
        Access::Account if token => Decision::Forbidden("API tokens are managed by a signed-in person, not by a token"),
        Access::Account => Decision::Allow,
        Access::Compute if token && !role.can_write() => Decision::Forbidden("read-only: a read token only reads"),
        Access::Compute => Decision::Allow,
        Access::Member if !role.can_write() => {
            Decision::Forbidden("read-only: a viewer (or a read token) cannot change anything")
        }
        Access::Member => Decision::Allow,
        Access::Admin if role != Role::Admin => Decision::Forbidden("this needs an admin: ask one to change your role"),
        Access::Admin => Decision::Allow,
    }
}

/// The public view's current setting; changed at run time by the settings page.
#[derive(Debug, Default)]
pub struct PublicView {
    pages: RwLock<Vec<PublicPage>>,
}

impl PublicView {
    pub fn new(pages: Vec<PublicPage>) -> PublicView {
        PublicView { pages: RwLock::new(pages) }
    }

    /// The open pages; empty means the public view is off.
    pub fn pages(&self) -> Vec<PublicPage> {
        self.pages.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn set(&self, pages: Vec<PublicPage>) {
        *self.pages.write().unwrap_or_else(|p| p.into_inner()) = pages;
    }

    /// Whether an anonymous visitor may call this route now: a read that an open page calls.
    pub fn opens(&self, route: &Route) -> bool {
        let pages = self.pages.read().unwrap_or_else(|p| p.into_inner());
        route.method == "GET" && route.access == Access::Read && route.public.iter().any(|p| pages.contains(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str) -> &'static Route {
        route("GET", path).unwrap_or_else(|| panic!("no route GET {path}"))
    }

    #[test]
    fn the_table_has_no_duplicates_and_public_routes_are_reads() {
        for (i, a) in ROUTES.iter().enumerate() {
            assert!(!ROUTES[i + 1..].iter().any(|b| b.method == a.method && b.path == a.path), "{a:?} twice");
            if !a.public.is_empty() {
                assert!(a.method == "GET" && a.access == Access::Read, "{a:?}: only reads are public");
                for never in
                    ["/api/items", "/api/notes", "/api/tokens", "/api/admin", "/ws/", "/inventory", "/api/auth"]
                {
                    assert!(!a.path.contains(never), "{a:?} must never be public");
                }
            }
        }
    }

    #[test]
    fn public_view_opens_only_the_listed_reads() {
        let v = PublicView::new(vec![PublicPage::Map]);
        assert!(v.opens(get("/api/live")));
        assert!(v.opens(get("/api/characters/{name}/trail")));
        assert!(v.opens(get("/api/map-image/file/{version}")));
        assert!(!v.opens(get("/api/characters/{name}")));
        assert!(!v.opens(get("/api/leaderboard")));
        assert!(!v.opens(get("/api/items/search")));
        assert!(!v.opens(get("/ws/live")));
        v.set(Vec::new());
        assert!(!v.opens(get("/api/live")), "off means nothing");
        assert!(!v.opens(get("/api/version")));
    }

    #[test]
    fn viewers_and_read_tokens_write_nothing_shared() {
        let pv = PublicView::default();
        let d = |m: &str, p: &str, who: Who| decide(route(m, p).unwrap(), who, &pv);
        let viewer = Who::Person(Role::Viewer);
        let read_token = Who::Token(Role::Viewer);
        assert_eq!(d("GET", "/api/notes", viewer), Decision::Allow);
        assert!(matches!(d("POST", "/api/notes", viewer), Decision::Forbidden(_)));
        assert!(matches!(d("PATCH", "/api/notes/{id}", viewer), Decision::Forbidden(_)));
        assert!(matches!(d("POST", "/api/admin/backup", viewer), Decision::Forbidden(_)));
        assert_eq!(d("POST", "/api/tokens", viewer), Decision::Allow, "a read token of their own");
        assert_eq!(d("DELETE", "/api/tokens/{id}", viewer), Decision::Allow, "and revoking it");
        assert_eq!(d("POST", "/api/suitbuilder/jobs", viewer), Decision::Allow);
        for (m, p) in [
            ("DELETE", "/api/tokens/{id}"),
            ("POST", "/api/tokens"),
            ("GET", "/api/tokens"),
            ("POST", "/api/suitbuilder/jobs"),
            ("POST", "/api/notes"),
        ] {
            assert!(matches!(d(m, p, read_token), Decision::Forbidden(_)), "read token {m} {p}");
        }
        assert!(matches!(d("DELETE", "/api/tokens/{id}", Who::Token(Role::Admin)), Decision::Forbidden(_)));
        assert_eq!(d("GET", "/api/live", read_token), Decision::Allow);
        assert_eq!(d("GET", "/api/live", Who::Anonymous), Decision::Unauthenticated);
        assert_eq!(d("GET", "/healthz", Who::Anonymous), Decision::Allow);
    }

    #[test]
    fn page_lists_parse_with_clear_errors() {
        assert_eq!(PublicPage::parse_list(" map, Rares ,map").unwrap(), vec![PublicPage::Map, PublicPage::Rares]);
        assert!(PublicPage::parse_list("items").unwrap_err().to_string().contains("'items'"));
        assert!(PublicPage::parse_list("").unwrap().is_empty());
    }
}
