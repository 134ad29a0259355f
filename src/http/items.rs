//! Items: search, one item, store statistics, a character's inventory.

use super::{ApiError, AppState};
use crate::inventory::InventoryStore;
use crate::inventory::item::{ItemView, Location};
use crate::search::SearchQuery;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use redb::ReadableDatabase;
use serde_json::Value;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/items/search", get(search))
        .route("/api/items/stats", get(stats))
        .route("/api/items/{owner}/{object_id}", get(one))
        .route("/api/characters/{name}/inventory", get(inventory))
}

impl From<crate::search::QueryError> for ApiError {
    fn from(e: crate::search::QueryError) -> Self {
        ApiError::BadRequest(e.to_string())
    }
}

/// Query-string pairs with repeated keys kept (docs/api.md: `owner`, `slot`, `cantrip` repeat).
fn pairs(raw: Option<String>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or_default().as_bytes()).into_owned().collect()
}

async fn search(State(app): State<AppState>, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let query = SearchQuery::from_pairs(&pairs(raw))?;
    let started = std::time::Instant::now();
    let app2 = app.clone();
    let result = tokio::task::spawn_blocking(move || app2.index.search(&query))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    app.metrics.observe_search(started.elapsed());
    Ok(Json(result.view()).into_response())
}

/// `GET /api/items/stats`.
#[derive(serde::Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct ItemStats {
    pub items_total: u64,
    /// Items stored per character (display name).
    pub by_owner: std::collections::BTreeMap<String, u64>,
    /// How far search lags behind stored inventories, ms (0 when caught up).
    pub index_lag_ms: i64,
}

async fn stats(State(app): State<AppState>) -> Result<Json<ItemStats>, ApiError> {
    let txn = app.state_db.begin_read().map_err(ApiError::internal)?;
    let store = InventoryStore::new();
    let by_owner = store.counts_by_owner(&txn).map_err(ApiError::internal)?;
    let items_total: u64 = by_owner.values().sum();
    Ok(Json(ItemStats { items_total, by_owner, index_lag_ms: app.index.lag_ms() }))
}

async fn one(
    State(app): State<AppState>,
    Path((owner, object_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = crate::protocol::lenient::u32_id_of(&Value::String(object_id.clone()))
        .ok_or_else(|| ApiError::BadRequest(format!("'{object_id}' is not an object id")))?;
    let txn = app.state_db.begin_read().map_err(ApiError::internal)?;
    let item = InventoryStore::new().get(&txn, &owner, id).map_err(ApiError::internal)?;
    let item = item.ok_or_else(|| ApiError::NotFound(format!("{owner} has no item {id}")))?;
    Ok(Json(item.view(true)).into_response())
}

/// `GET /api/characters/{name}/inventory`.
#[derive(serde::Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub struct ItemList<'a> {
    pub items: Vec<ItemView<'a>>,
}

#[derive(serde::Deserialize)]
struct InventoryQuery {
    location: Option<String>,
}

async fn inventory(
    State(app): State<AppState>,
    Path(name): Path<String>,
    axum::extract::Query(q): axum::extract::Query<InventoryQuery>,
) -> Result<Response, ApiError> {
    let location = match q.location.as_deref() {
        None | Some("") => None,
        Some(l) => Some(Location::parse(l).ok_or_else(|| {
            ApiError::BadRequest(format!("parameter 'location': '{l}' is not one of equipped, main_pack, side_pack"))
        })?),
    };
    let txn = app.state_db.begin_read().map_err(ApiError::internal)?;
    let items = InventoryStore::new().list(&txn, &name, location).map_err(ApiError::internal)?;
    if items.is_empty() && app.characters.by_name(&name).is_none() {
        return Err(ApiError::NotFound(format!("no character named '{name}' has been seen")));
    }
    Ok(Json(ItemList { items: items.iter().map(|i| i.view(false)).collect() }).into_response())
}
