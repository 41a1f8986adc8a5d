//! The "Team & sharing" panel of a record page: its team and shares, with forms to add and
//! remove them for those who may (`app::sharing`), a read-only list for everyone else.

use super::record_page::show_response;
use super::{parse_id, Choice};
use crate::error::page_error;
use crate::i18n::Tr;
use crate::pages::{see_other, Form};
use crate::session::Signed;
use crate::views::FormErrors;
use crate::AppState;
use app::sharing::{MemberInput, ShareInput};
use app::AppError;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Extension;
use domain::permissions::{role_display_name, ObjectKind};
use uuid::Uuid;

pub struct SharingPanel {
    pub base: String,
    pub can_manage: bool,
    /// (name, access label, team role, remove action)
    pub team: Vec<(String, String, String, String)>,
    /// (grantee kind label, name, access label, remove action)
    pub shares: Vec<(String, String, String, String)>,
    pub users: Vec<Choice>,
    /// Grantee choices grouped: (group label, choices of `kind:id`).
    pub grantees: Vec<(String, Vec<Choice>)>,
}

fn access_label(t: Tr, access: &str) -> String {
    t.key("sharing.access.", access)
}

pub async fn sharing_panel(
    state: &AppState,
    user: &Signed,
    object: ObjectKind,
    id: Uuid,
) -> Result<SharingPanel, AppError> {
    let t = user.ctx.tr;
    let plural = domain::objects::spec(object)
        .map(|s| s.plural)
        .unwrap_or("accounts");
    let base = format!("/{plural}/{id}");
    let sharing = app::sharing::get(&state.app, &user.actor, object, id).await?;
    let team = sharing
        .team
        .iter()
        .map(|m| {
            (
                m.user_name.clone(),
                access_label(t, &m.access),
                m.role.clone().unwrap_or_default(),
                format!("{base}/team/{}/delete", m.user_id),
            )
        })
        .collect();
    let shares = sharing
        .shares
        .iter()
        .map(|s| {
            let (kind, name) = if s.user_id.is_some() {
                ("user", s.grantee_name.clone())
            } else if s.department_id.is_some() {
                ("department", s.grantee_name.clone())
            } else {
                let name = role_display_name(s.role_key.as_deref(), &s.grantee_name, t.is_zh());
                ("role", name.to_string())
            };
            (
                t.key("sharing.grantee.", kind),
                name,
                access_label(t, &s.access),
                format!("{base}/shares/{}/delete", s.id),
            )
        })
        .collect();
    let (users, grantees) = if sharing.can_manage {
        let g = app::sharing::grantees(&state.app, &user.actor).await?;
        let choice = |prefix: &str, id: Uuid, label: String| Choice {
            value: format!("{prefix}:{id}"),
            label,
        };
        let users: Vec<Choice> = g
            .users
            .iter()
            .map(|(id, name)| Choice {
                value: id.to_string(),
                label: name.clone(),
            })
            .collect();
        let grantees = vec![
            (
                t.get("sharing.grantee.user").to_string(),
                g.users
                    .iter()
                    .map(|(id, n)| choice("user", *id, n.clone()))
                    .collect(),
            ),
            (
                t.get("sharing.grantee.department").to_string(),
                g.departments
                    .iter()
                    .map(|(id, n)| choice("department", *id, n.clone()))
                    .collect(),
            ),
            (
                t.get("sharing.grantee.role").to_string(),
                g.roles
                    .iter()
                    .map(|(id, n, key)| {
                        choice(
                            "role",
                            *id,
                            role_display_name(key.as_deref(), n, t.is_zh()).to_string(),
                        )
                    })
                    .collect(),
            ),
        ];
        (users, grantees)
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(SharingPanel {
        base,
        can_manage: sharing.can_manage,
        team,
        shares,
        users,
        grantees,
    })
}

#[derive(serde::Deserialize)]
pub struct ShareForm {
    /// `user:<id>`, `department:<id>` or `role:<id>`.
    pub grantee: Option<String>,
    pub access: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct MemberForm {
    pub user_id: Option<String>,
    pub access: Option<String>,
    pub role: Option<String>,
}

/// What a page's form answered: back to the panel, or the record page with the form's
/// errors.
async fn done(
    state: &AppState,
    user: &Signed,
    object: ObjectKind,
    id: &str,
    result: Result<(), AppError>,
    notice: &str,
) -> Response {
    let t = user.ctx.tr;
    let plural = domain::objects::spec(object)
        .map(|s| s.plural)
        .unwrap_or("accounts");
    match (result, parse_id(id)) {
        (Ok(()), Ok(id)) => see_other(
            user.ctx.htmx,
            &format!("/{plural}/{id}?notice={notice}#sharing"),
        ),
        (Err(e @ AppError::Validation(_)), Ok(rid)) if object != ObjectKind::Account => {
            show_response(state, user, object, rid, None, FormErrors::from_app(t, &e)).await
        }
        (Err(e), _) | (_, Err(e)) => page_error(t, e),
    }
}

pub(super) async fn add_share(
    State(state): State<AppState>,
    Extension(object): Extension<ObjectKind>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<ShareForm>,
) -> Response {
    let mut input = ShareInput {
        access: form.access,
        ..Default::default()
    };
    match form.grantee.as_deref().and_then(|g| g.split_once(':')) {
        Some(("user", v)) => input.user_id = Some(v.to_string()),
        Some(("department", v)) => input.department_id = Some(v.to_string()),
        Some(("role", v)) => input.role_id = Some(v.to_string()),
        _ => {}
    }
    let result = async {
        let rid = parse_id(&id)?;
        app::sharing::share(&state.app, &user.actor, object, rid, &input).await?;
        Ok(())
    }
    .await;
    done(&state, &user, object, &id, result, "share_added").await
}

pub(super) async fn remove_share(
    State(state): State<AppState>,
    Extension(object): Extension<ObjectKind>,
    user: Signed,
    Path((id, share)): Path<(String, String)>,
) -> Response {
    let result = async {
        let rid = parse_id(&id)?;
        app::sharing::unshare(&state.app, &user.actor, object, rid, parse_id(&share)?).await
    }
    .await;
    done(&state, &user, object, &id, result, "share_removed").await
}

pub(super) async fn add_member(
    State(state): State<AppState>,
    Extension(object): Extension<ObjectKind>,
    user: Signed,
    Path(id): Path<String>,
    Form(form): Form<MemberForm>,
) -> Response {
    let input = MemberInput {
        user_id: form.user_id,
        access: form.access,
        role: form.role,
    };
    let result = async {
        let rid = parse_id(&id)?;
        app::sharing::add_member(&state.app, &user.actor, object, rid, &input).await?;
        Ok(())
    }
    .await;
    done(&state, &user, object, &id, result, "member_added").await
}

pub(super) async fn remove_member(
    State(state): State<AppState>,
    Extension(object): Extension<ObjectKind>,
    user: Signed,
    Path((id, member)): Path<(String, String)>,
) -> Response {
    let result = async {
        let rid = parse_id(&id)?;
        app::sharing::remove_member(&state.app, &user.actor, object, rid, parse_id(&member)?).await
    }
    .await;
    done(&state, &user, object, &id, result, "member_removed").await
}

/// The panel's form routes for one object, relative to its record page.
pub(super) fn routes(router: axum::Router<AppState>) -> axum::Router<AppState> {
    use axum::routing::post;
    router
        .route("/{id}/shares", post(add_share))
        .route("/{id}/shares/{share}/delete", post(remove_share))
        .route("/{id}/team", post(add_member))
        .route("/{id}/team/{member}/delete", post(remove_member))
}
