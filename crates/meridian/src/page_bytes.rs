//! The size of API list pages: what an integrator downloads per page of 50 records, measured
//! on the router in this process (no network) with a token of the given user.

use anyhow::{bail, Context, Result};
use app::{Actor, App};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use tower::ServiceExt;

/// One list page: its request, the rows it carried and its bytes (the JSON body).
pub struct PageBytes {
    pub request: String,
    pub rows: usize,
    pub bytes: usize,
}

impl PageBytes {
    pub fn per_row(&self) -> usize {
        self.bytes / self.rows.max(1)
    }
}

/// The lists measured, with 50 rows a page in their default order.
const LISTS: [&str; 5] = [
    "/api/v1/leads?limit=50",
    "/api/v1/opportunities?limit=50",
    "/api/v1/contacts?limit=50",
    "/api/v1/activities?limit=50",
    "/api/v1/accounts?limit=50",
];

pub async fn measure(app: &App, actor: &Actor) -> Result<Vec<PageBytes>> {
    let (token_id, token) =
        app::auth::create_token(app, actor.tenant_id(), actor.id(), "bench page bytes")
            .await
            .map_err(|e| anyhow::anyhow!("creating a token: {e}"))?;
    let router = web::router(web::AppState::new(app.clone(), false));
    let mut out = Vec::new();
    for path in LISTS {
        let request = Request::get(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .context("building a request")?;
        let response = router
            .clone()
            .oneshot(request)
            .await
            .with_context(|| format!("GET {path}"))?;
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .with_context(|| format!("reading the body of GET {path}"))?;
        if status != StatusCode::OK {
            bail!("GET {path} answered {status}");
        }
        let page: serde_json::Value = serde_json::from_slice(&body)
            .with_context(|| format!("GET {path} did not answer JSON"))?;
        out.push(PageBytes {
            request: format!("GET {path}"),
            rows: page["items"].as_array().map_or(0, Vec::len),
            bytes: body.len(),
        });
    }
    app::auth::revoke_token(app, actor, token_id)
        .await
        .map_err(|e| anyhow::anyhow!("revoking the token: {e}"))?;
    Ok(out)
}
