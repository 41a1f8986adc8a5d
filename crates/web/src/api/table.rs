//! The table of API routes: every route is added here with its method, so that the same list
//! builds the router and is checked against the OpenAPI document.

use crate::AppState;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{on, MethodFilter};
use axum::{Extension, Router};
use domain::permissions::ObjectKind;

/// A router under construction and the (method, path) of every route it serves.
pub struct ApiRoutes {
    router: Router<AppState>,
    served: Vec<(Method, String)>,
}

impl Default for ApiRoutes {
    fn default() -> Self {
        ApiRoutes {
            router: Router::new(),
            served: Vec::new(),
        }
    }
}

/// The router's filter for a method. Every method the API serves has one (GET, POST, PATCH,
/// DELETE); the suite checks that each route answers its own method.
fn filter(method: &Method) -> MethodFilter {
    MethodFilter::try_from(method.clone()).unwrap_or(MethodFilter::GET)
}

impl ApiRoutes {
    /// Serves `method path` with `handler`. GET also answers HEAD.
    pub fn on<H, T>(mut self, method: Method, path: &str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.router = self.router.route(path, on(filter(&method), handler));
        self.served.push((method, path.to_string()));
        self
    }

    /// Serves `method path` for one metadata-driven object, which the handler receives as an
    /// `Extension<ObjectKind>`.
    pub fn on_object<H, T>(
        mut self,
        method: Method,
        path: &str,
        kind: ObjectKind,
        handler: H,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.router = self
            .router
            .route(path, on(filter(&method), handler).layer(Extension(kind)));
        self.served.push((method, path.to_string()));
        self
    }

    pub fn merge(mut self, other: ApiRoutes) -> Self {
        self.router = self.router.merge(other.router);
        self.served.extend(other.served);
        self
    }

    /// The (method, path) of every route, paths relative to `/api/v1`.
    pub fn served(&self) -> &[(Method, String)] {
        &self.served
    }

    pub fn into_router(self) -> Router<AppState> {
        self.router
    }
}
