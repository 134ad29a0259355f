//! Who may call what, beyond "signed in": the write rule for viewers (and read tokens) and
//! the public view's list of anonymous endpoints.
//!
//! Owns: the viewer allow-list of writes, the public pages and the read endpoints behind
//! each. Never: authenticates anyone (that is `service`/`tokens`) or sees HTTP types (the
//! caller passes the method name and the path).
//!
//! Both rules fail closed: a write is refused for a viewer unless listed here, and an
//! anonymous request is refused unless its exact path shape is listed for a public page.

use serde::{Deserialize, Serialize};
use std::sync::RwLock;

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
    pub fn parse_list(s: &str) -> Result<Vec<PublicPage>, String> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let page =
                PublicPage::ALL.into_iter().find(|p| p.as_str().eq_ignore_ascii_case(part)).ok_or_else(|| {
                    format!("'{part}' is not a public page: choose among overview, map, leaderboards, rares")
                })?;
            if !out.contains(&page) {
                out.push(page);
            }
        }
        Ok(out)
    }

    /// The read endpoints this page needs, as path patterns (`*` is one path segment).
    /// Never items, inventories, commands, chat, notes or users.
    pub fn endpoints(self) -> &'static [&'static str] {
        match self {
            PublicPage::Overview => &["/api/live", "/api/attention", "/api/leaderboard", "/api/rares"],
            PublicPage::Map => &["/api/live", "/api/portals", "/api/spawns/heatmap", "/api/characters/*/trail"],
            PublicPage::Leaderboards => &["/api/leaderboard"],
            PublicPage::Rares => &["/api/rares"],
        }
    }
}

/// Endpoints every anonymous visitor may read while the public view is on: what the
/// dashboard needs to draw itself (version and map image; the public page list is open
/// anyway at `/api/public`).
const PUBLIC_ALWAYS: &[&str] = &["/api/version"];

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

    /// Whether an anonymous `method path` is allowed now.
    pub fn allows(&self, method: &str, path: &str) -> bool {
        if !(method == "GET" || method == "HEAD") {
            return false;
        }
        let pages = self.pages.read().unwrap_or_else(|p| p.into_inner());
        if pages.is_empty() {
            return false;
        }
        PUBLIC_ALWAYS.iter().any(|p| path_matches(p, path))
            || pages.iter().any(|page| page.endpoints().iter().any(|p| path_matches(p, path)))
    }
}

/// Whether a viewer (or a read-scoped token) may make this request. Reads always; the
/// writes listed are the ones that change nothing shared: signing out, the viewer's own
/// read-only API tokens (the scope check stops anything above `read`), and the suit
/// builder (a job computes suits from items the viewer may read and stores nothing).
pub fn viewer_may(method: &str, path: &str) -> bool {
    if matches!(method, "GET" | "HEAD" | "OPTIONS") {
        return true;
    }
    const VIEWER_WRITES: &[(&str, &str)] = &[
        ("POST", "/api/auth/logout"),
        ("POST", "/api/tokens"),
        ("DELETE", "/api/tokens/*"),
        ("POST", "/api/suitbuilder/jobs"),
        ("DELETE", "/api/suitbuilder/jobs/*"),
        ("POST", "/api/suitbuilder/solve"),
    ];
    VIEWER_WRITES.iter().any(|(m, p)| *m == method && path_matches(p, path))
}

/// `pattern` segments equal `path` segments, `*` standing for one non-empty segment.
fn path_matches(pattern: &str, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or(path);
    let mut a = pattern.split('/');
    let mut b = path.split('/');
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some("*"), Some(seg)) if !seg.is_empty() => {}
            (Some(x), Some(y)) if x == y => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_view_opens_only_the_listed_reads() {
        let v = PublicView::new(vec![PublicPage::Map]);
        assert!(v.allows("GET", "/api/live"));
        assert!(v.allows("GET", "/api/characters/Mossy%20Tank/trail"));
        assert!(!v.allows("GET", "/api/characters/Mossy%20Tank"));
        assert!(!v.allows("GET", "/api/characters//trail"));
        assert!(!v.allows("GET", "/api/characters/a/b/trail"));
        assert!(!v.allows("POST", "/api/live"));
        assert!(!v.allows("GET", "/api/leaderboard"));
        assert!(!v.allows("GET", "/api/items/search"));
        v.set(Vec::new());
        assert!(!v.allows("GET", "/api/live"), "off means nothing");
        assert!(!v.allows("GET", "/api/version"));
    }

    #[test]
    fn viewers_write_nothing_shared() {
        assert!(viewer_may("GET", "/api/notes"));
        assert!(!viewer_may("POST", "/api/notes"));
        assert!(!viewer_may("PATCH", "/api/notes/3"));
        assert!(!viewer_may("POST", "/api/admin/backup"));
        assert!(viewer_may("POST", "/api/tokens"), "a read token of their own");
        assert!(!viewer_may("PATCH", "/api/admin/users/x"));
        assert!(viewer_may("POST", "/api/suitbuilder/jobs"));
        assert!(viewer_may("DELETE", "/api/suitbuilder/jobs/abc"));
    }

    #[test]
    fn page_lists_parse_with_clear_errors() {
        assert_eq!(PublicPage::parse_list(" map, Rares ,map").unwrap(), vec![PublicPage::Map, PublicPage::Rares]);
        assert!(PublicPage::parse_list("items").unwrap_err().contains("'items'"));
        assert!(PublicPage::parse_list("").unwrap().is_empty());
    }
}
