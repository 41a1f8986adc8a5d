//! Web forms (网站表单, web-to-lead): forms administrators of leads design for the company
//! website. Keeping them is here; a visitor's submission (rate limit, honeypot, the lead
//! created through the record engine) is `submit`.

pub mod submit;

use crate::settings::Setting;
use crate::{Actor, AppResult};
use chrono::{DateTime, Utc};
use domain::permissions::{Action, ObjectKind};
use domain::web_forms::{self as rules, FormField, Target, DEFAULT_RATE_LIMIT, DEFAULT_SOURCE};
use domain::FieldErrors;
use serde_json::json;
use store::web_forms::{self as repo, FormFields, WebForm, MAX_FORMS};
use store::Tx;
use uuid::Uuid;

/// A form as submitted by an administrator (the admin page or a JSON body); fields left out
/// keep their value on an update. References are text so that a malformed one is a field
/// error like an unknown one.
#[derive(Debug, Clone, Default)]
pub struct FormInput {
    pub name: Option<String>,
    pub active: Option<bool>,
    pub fields: Option<Vec<FormField>>,
    pub target: Option<String>,
    pub owner_id: Option<String>,
    pub source: Option<String>,
    pub thanks_zh: Option<String>,
    pub thanks_en: Option<String>,
    pub redirect_url: Option<String>,
    pub allowed_origins: Option<Vec<String>>,
    pub rate_limit: Option<i64>,
}

/// The same people who keep the assignment rules keep the forms that feed them.
fn require_admin(actor: &Actor) -> AppResult<()> {
    actor.require(ObjectKind::Lead, Action::Administer)
}

/// A form's public key: the company's id in clear (so a submission finds its company) and
/// 96 random bits.
fn new_public_key(tenant: Uuid) -> String {
    let secret = crate::secrets::random_token();
    format!("{}_{}", tenant.simple(), &secret[..24])
}

/// The company a public key names, and the key, when it is well formed.
pub fn parse_public_key(key: &str) -> Option<Uuid> {
    let (tenant, secret) = key.split_once('_')?;
    let well_formed = secret.len() == 24 && secret.bytes().all(|b| b.is_ascii_hexdigit());
    well_formed.then_some(())?;
    Uuid::try_parse(tenant).ok()
}

impl Setting for WebForm {
    type Input = FormInput;
    type Fields = FormFields;
    const TABLE: &'static str = repo::TABLE;
    const ENTITY: &'static str = "web_form";
    const MAX: i64 = MAX_FORMS;
    const TOO_MANY: &'static str = "too_many_web_forms";

    fn require(actor: &Actor) -> AppResult<()> {
        require_admin(actor)
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn activation(active: bool) -> FormInput {
        FormInput {
            active: Some(active),
            ..FormInput::default()
        }
    }
    fn audit_detail(f: &FormFields) -> serde_json::Value {
        json!({ "name": f.name, "active": f.active, "target": f.target,
            "fields": f.fields.iter().map(|x| x.key.as_str()).collect::<Vec<_>>(),
            "allowed_origins": f.allowed_origins, "rate_limit": f.rate_limit })
    }
    async fn read_all(tx: &mut Tx, tenant: Uuid) -> AppResult<Vec<WebForm>> {
        Ok(repo::list(tx, tenant).await?)
    }
    async fn read(tx: &mut Tx, tenant: Uuid, id: Uuid) -> AppResult<Option<WebForm>> {
        Ok(repo::get(tx, tenant, id).await?)
    }
    async fn resolve(
        tx: &mut Tx,
        actor: &Actor,
        current: Option<&WebForm>,
        input: &FormInput,
        _now: DateTime<Utc>,
    ) -> AppResult<FormFields> {
        resolve(tx, actor, current, input).await
    }
    /// A new form gets its public key here, once; updates never change it.
    async fn insert(
        tx: &mut Tx,
        tenant: Uuid,
        id: Uuid,
        fields: &FormFields,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        let key = new_public_key(tenant);
        Ok(repo::insert(tx, tenant, id, &key, fields, now).await?)
    }
    async fn write(
        tx: &mut Tx,
        tenant: Uuid,
        id: Uuid,
        version: i64,
        fields: &FormFields,
        now: DateTime<Utc>,
    ) -> AppResult<bool> {
        Ok(repo::update(tx, tenant, id, version, fields, now).await?)
    }
}

fn trimmed(v: Option<&String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// The form to write: the input over the current form (or the defaults), references checked
/// against the company and the fields against the lead's; all the problems at once.
async fn resolve(
    tx: &mut Tx,
    actor: &Actor,
    current: Option<&WebForm>,
    input: &FormInput,
) -> AppResult<FormFields> {
    let tenant = actor.tenant_id();
    let mut errors = FieldErrors::new();
    let pick = |given: &Option<String>, old: Option<&String>| -> String {
        given
            .as_ref()
            .or(old)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let name = pick(&input.name, current.map(|f| &f.name));
    let thanks_zh = pick(&input.thanks_zh, current.map(|f| &f.thanks_zh));
    let thanks_en = pick(&input.thanks_en, current.map(|f| &f.thanks_en));
    let redirect_url = match &input.redirect_url {
        Some(given) => trimmed(Some(given)),
        None => current.and_then(|f| f.redirect_url.clone()),
    };
    let fields: Vec<FormField> = input
        .fields
        .clone()
        .or_else(|| current.map(|f| f.fields.0.clone()))
        .unwrap_or_default()
        .into_iter()
        .map(|f| FormField {
            key: f.key.trim().to_string(),
            label_zh: f.label_zh.trim().to_string(),
            label_en: f.label_en.trim().to_string(),
            required: f.required,
        })
        .collect();
    let origins: Vec<String> = input
        .allowed_origins
        .clone()
        .or_else(|| current.map(|f| f.allowed_origins.0.clone()))
        .unwrap_or_default()
        .iter()
        .filter(|o| !o.trim().is_empty())
        .map(|o| rules::normalize_origin(o).unwrap_or_else(|| o.trim().to_string()))
        .collect();
    let rate_limit = input
        .rate_limit
        .or(current.map(|f| f.rate_limit))
        .unwrap_or(DEFAULT_RATE_LIMIT);
    let lead = crate::records::object_fields_tx(tx, tenant, ObjectKind::Lead).await?;
    let defs: Vec<_> = lead.all().into_iter().cloned().collect();
    errors.0.extend(
        rules::check(
            &rules::Draft {
                name: &name,
                fields: &fields,
                thanks_zh: &thanks_zh,
                thanks_en: &thanks_en,
                redirect_url: redirect_url.as_deref(),
                origins: &origins,
                rate_limit,
            },
            &defs,
        )
        .0,
    );
    let target_key = pick(&input.target, current.map(|f| &f.target));
    let target = match Target::parse(if target_key.is_empty() {
        "rules"
    } else {
        &target_key
    }) {
        None => {
            errors.add("target", "invalid_choice");
            Target::Rules
        }
        Some(t) => t,
    };
    let known = match target {
        Target::Rules => true,
        Target::Rule(id) => store::assignment::get(tx, tenant, id).await?.is_some(),
        Target::Pool(id) => store::pools::get(tx, tenant, id)
            .await?
            .is_some_and(|p| p.kind() == Some(ObjectKind::Lead)),
    };
    if !known {
        errors.add("target", "invalid_reference");
    }
    let owner_raw = pick(&input.owner_id, None);
    let owner_id = if input.owner_id.is_none() || owner_raw.is_empty() {
        // Unchanged, or by default the administrator writing the form.
        current.map(|f| f.owner_id).unwrap_or(actor.id())
    } else {
        match Uuid::try_parse(&owner_raw) {
            Ok(id)
                if store::org::get_user(tx, tenant, id)
                    .await?
                    .is_some_and(|u| u.active) =>
            {
                id
            }
            _ => {
                errors.add("owner_id", "invalid_reference");
                actor.id()
            }
        }
    };
    let source = match &input.source {
        Some(given) => trimmed(Some(given)),
        None => current
            .map(|f| f.source.clone())
            .unwrap_or(Some(DEFAULT_SOURCE.into())),
    };
    if let Some(s) = &source {
        let known = lead
            .field("source")
            .is_some_and(|f| f.options.iter().any(|o| o.key == *s && o.active));
        if !known {
            errors.add("source", "invalid_choice");
        }
    }
    errors.into_result()?;
    Ok(FormFields {
        name,
        active: input.active.or(current.map(|f| f.active)).unwrap_or(true),
        fields,
        target: target.key(),
        owner_id,
        source,
        thanks_zh,
        thanks_en,
        redirect_url,
        allowed_origins: origins,
        rate_limit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_keys_name_their_company() {
        let tenant = Uuid::now_v7();
        let key = new_public_key(tenant);
        assert_eq!(parse_public_key(&key), Some(tenant));
        assert_ne!(new_public_key(tenant), key);
        assert_eq!(parse_public_key("nonsense"), None);
        assert_eq!(
            parse_public_key(&format!("{}_short", tenant.simple())),
            None
        );
    }
}
