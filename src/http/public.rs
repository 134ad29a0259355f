//! `GET /api/public`: whether the public view is on and which pages it opens, so the
//! dashboard can show an anonymous visitor those pages instead of the sign-in form. Open
//! (it reveals only the setting). The gatekeeping itself is `auth::PublicView`.

use super::AppState;
use crate::auth::PublicPage;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

pub fn open_router() -> Router<AppState> {
    Router::new().route("/api/public", get(public))
}

#[derive(Serialize)]
struct PublicInfo {
    public_view: bool,
    pages: Vec<PublicPage>,
}

async fn public(State(app): State<AppState>) -> Json<PublicInfo> {
    let pages = app.auth.public_view().pages();
    Json(PublicInfo { public_view: !pages.is_empty(), pages })
}
