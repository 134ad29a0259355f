//! `/api/notes`: the group's notes board.

use super::auth::Caller;
use super::{ApiError, AppState, now_ms};
use crate::auth::Role;
use crate::notes::{self, NoteError, NoteState};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, patch};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/notes", get(list).post(create)).route("/api/notes/{id}", patch(update).delete(delete))
}

impl From<NoteError> for ApiError {
    fn from(e: NoteError) -> Self {
        match e {
            NoteError::Invalid(m) => ApiError::Invalid(m),
            NoteError::NotFound(_) => ApiError::NotFound(e.to_string()),
            NoteError::Forbidden(_) => ApiError::Forbidden(e.to_string()),
            NoteError::Full => ApiError::Conflict(e.to_string()),
            NoteError::Storage(m) => ApiError::internal(m),
        }
    }
}

#[derive(Deserialize)]
struct ListQuery {
    state: Option<NoteState>,
}

/// `GET /api/notes`.
#[derive(Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct NoteList {
    pub notes: Vec<notes::Note>,
}

async fn list(State(app): State<AppState>, Query(q): Query<ListQuery>) -> Result<Json<NoteList>, ApiError> {
    Ok(Json(NoteList { notes: notes::list(&app.state_db, q.state)? }))
}

#[derive(Deserialize)]
struct NewNote {
    title: String,
    #[serde(default)]
    body: String,
}

async fn create(
    State(app): State<AppState>,
    caller: Caller,
    body: Result<Json<NewNote>, JsonRejection>,
) -> Result<(StatusCode, Json<notes::Note>), ApiError> {
    let Json(n) = body?;
    Ok((StatusCode::CREATED, Json(notes::create(&app.state_db, &n.title, &n.body, &caller.username, now_ms())?)))
}

#[derive(Deserialize)]
struct NotePatch {
    title: Option<String>,
    body: Option<String>,
    state: Option<NoteState>,
}

async fn update(
    State(app): State<AppState>,
    caller: Caller,
    Path(id): Path<u64>,
    body: Result<Json<NotePatch>, JsonRejection>,
) -> Result<Json<notes::Note>, ApiError> {
    let Json(p) = body?;
    let editor = editor(&caller);
    Ok(Json(notes::update(&app.state_db, id, editor, p.title.as_deref(), p.body.as_deref(), p.state, now_ms())?))
}

async fn delete(State(app): State<AppState>, caller: Caller, Path(id): Path<u64>) -> Result<StatusCode, ApiError> {
    notes::delete(&app.state_db, id, editor(&caller))?;
    Ok(StatusCode::NO_CONTENT)
}

fn editor(caller: &Caller) -> notes::Editor<'_> {
    notes::Editor { username: &caller.username, is_admin: caller.role == Role::Admin }
}
