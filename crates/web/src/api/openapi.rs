//! The OpenAPI 3 document, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Meridian API", description = "REST API of Meridian, a lead-to-cash CRM. Authenticate with `Authorization: Bearer <token>` (create tokens under My settings or with `meridian admin token create`). Errors are `{\"error\": {\"code\", \"message\", \"fields\"}}` with stable codes; messages follow `Accept-Language` (en, zh-CN). Changes to existing records need `If-Match` with the record's ETag."),
    paths(
        super::me,
        super::accounts::list,
        super::accounts::create,
        super::accounts::read,
        super::accounts::patch,
        super::accounts::remove,
        super::accounts::transfer,
        super::accounts::history,
    ),
    components(schemas(super::ErrorBody)),
    modifiers(&BearerAuth),
    tags((name = "accounts", description = "Accounts (客户)"), (name = "auth", description = "The caller"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("mrd_…")
                    .build(),
            ),
        );
    }
}

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// The document as JSON text (for snapshot tests and `meridian openapi`).
pub fn json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_default()
}
