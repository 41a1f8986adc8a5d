//! The web layer: HTML pages (askama + htmx), the REST API under `/api/v1`, sign-in, CSRF,
//! embedded assets, health and metrics. Handlers are thin: they parse, call a use case in
//! `app`, and render.

pub mod api;
mod assets;
pub mod csrf;
pub mod error;
mod health;
pub mod i18n;
pub mod input;
pub mod mail;
pub mod metrics;
mod pages;
pub mod session;
mod views;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;
use std::sync::Arc;

/// Largest request body accepted anywhere (forms and JSON); larger ones get 413.
pub const BODY_LIMIT: usize = 256 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub app: app::App,
    pub metrics: Arc<metrics::Metrics>,
    /// Mark cookies `Secure` (when served over HTTPS behind a proxy).
    pub secure_cookies: bool,
}

impl AppState {
    pub fn new(app: app::App, secure_cookies: bool) -> Self {
        Self {
            app,
            metrics: Arc::new(metrics::Metrics::new()),
            secure_cookies,
        }
    }
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(pages::routes().layer(axum::middleware::from_fn_with_state(
            state.clone(),
            pages::messages::with_navigation,
        )))
        .nest("/api/v1", api::routes())
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::render))
        .route("/assets/{*path}", get(assets::serve))
        .layer(axum::middleware::from_fn(input::refuse_control_characters))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            csrf::protect,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}
