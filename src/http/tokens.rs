//! `/api/tokens`: API tokens for scripts and bots (`auth::tokens` does the work).
//!
//! Creating needs a signed-in user (a cookie session): a token cannot mint tokens, and
//! the loopback rule has no account to own one. Listing shows the caller's tokens, or
//! every token for an admin; deleting works on one's own tokens, or any for an admin.

use super::AppState;
use super::auth::{AuthVia, Caller};
use crate::auth::{Role, TokenInfo, TokenScope};
use crate::http::ApiError;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

/// `{"name","scope","expires_in_days"}` is tiny.
const TOKEN_BODY_LIMIT_BYTES: usize = 4 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/tokens", get(list).post(create))
        .route("/api/tokens/{id}", delete(remove))
        .layer(DefaultBodyLimit::max(TOKEN_BODY_LIMIT_BYTES))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    name: String,
    scope: TokenScope,
    expires_in_days: Option<u32>,
}

/// 201: the secret, shown this once.
#[derive(Serialize)]
struct Created {
    token: String,
    #[serde(flatten)]
    info: TokenInfo,
}

#[derive(Serialize)]
struct Listed {
    tokens: Vec<TokenInfo>,
}

async fn create(
    State(app): State<AppState>,
    caller: Caller,
    body: Result<Json<CreateBody>, JsonRejection>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    if !matches!(caller.via, AuthVia::Session { .. }) {
        return Err(ApiError::Forbidden("sign in as a user to create API tokens (a token cannot make tokens)".into()));
    }
    let Json(body) = body?;
    let t = app.auth.create_token(&caller.username, &body.name, body.scope, body.expires_in_days).await?;
    tracing::info!(user = %caller.username, token = %t.info.id, scope = ?t.info.scope, "API token created");
    Ok((StatusCode::CREATED, Json(Created { token: t.token, info: t.info })))
}

async fn list(State(app): State<AppState>, caller: Caller) -> Result<Json<Listed>, ApiError> {
    let tokens = match caller.via {
        AuthVia::Loopback => app.auth.list_tokens(None).await?,
        AuthVia::Public => return Err(ApiError::unauthorized()),
        _ if caller.role == Role::Admin => app.auth.list_tokens(None).await?,
        _ => app.auth.list_tokens(Some(&caller.username)).await?,
    };
    Ok(Json(Listed { tokens }))
}

async fn remove(
    State(app): State<AppState>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let Path(id) = id?;
    if caller.via == AuthVia::Public {
        return Err(ApiError::unauthorized());
    }
    app.auth.delete_token(&id, &caller.username, caller.role == Role::Admin).await?;
    tracing::info!(user = %caller.username, token = %id, "API token deleted");
    Ok(StatusCode::NO_CONTENT)
}
