//! The fields of an object as one company has them, and as one reader may see and change them.

use super::*;

/// The fields of an object for one company: the standard ones and its custom fields.
#[derive(Debug, Clone)]
pub struct ObjectFields {
    pub spec: &'static ObjectSpec,
    pub custom: Vec<CustomField>,
    /// Fields the reader's role may not see (absent from everything below).
    pub hidden: Vec<String>,
    /// Fields the reader's role may see but not change.
    pub read_only: Vec<String>,
    /// The company currency: money fields of an object without a currency field are in it,
    /// and lists compare amounts in its units (see `domain::money`). Loaded only for an
    /// object with money fields (the default otherwise, which nothing then reads).
    pub currency: String,
    /// Standard fields as this company has them: picklists with its own choices, record
    /// types and stages (`crate::picklists::overlay`); they replace the spec's definitions.
    pub overrides: Vec<FieldDef>,
}

impl ObjectFields {
    /// The standard fields of an object, before [`ObjectFields::for_actor`] limits them (for
    /// field access only: its currency is the default, not the company's).
    pub fn standard(spec: &'static ObjectSpec) -> Self {
        ObjectFields {
            spec,
            custom: Vec::new(),
            hidden: Vec::new(),
            read_only: Vec::new(),
            currency: domain::money::DEFAULT_CURRENCY.to_string(),
            overrides: Vec::new(),
        }
    }

    /// A standard field as this company has it.
    fn standard_field<'a>(&'a self, field: &'a FieldDef) -> &'a FieldDef {
        self.overrides
            .iter()
            .find(|o| o.key == field.key)
            .unwrap_or(field)
    }

    /// Standard fields and active custom fields the reader may see, in form order.
    pub fn all(&self) -> Vec<&FieldDef> {
        let mut all: Vec<&FieldDef> = self
            .spec
            .fields
            .iter()
            .map(|f| self.standard_field(f))
            .collect();
        all.extend(self.custom.iter().filter(|c| c.active).map(|c| &c.def));
        all.retain(|f| !self.hidden.contains(&f.key));
        all
    }

    pub fn field(&self, key: &str) -> Option<&FieldDef> {
        if self.hidden.iter().any(|h| h == key) {
            return None;
        }
        self.spec
            .field(key)
            .map(|f| self.standard_field(f))
            .or_else(|| {
                self.custom
                    .iter()
                    .find(|c| c.def.key == key)
                    .map(|c| &c.def)
            })
    }

    /// Whether the reader may set this field (not system-set, not limited by the role).
    pub fn writable(&self, field: &FieldDef) -> bool {
        !field.system && !self.read_only.contains(&field.key)
    }

    /// The same fields as the actor's role lets them see and change them — the one place
    /// field-level permissions apply, for pages, API, lists, filters and history alike.
    pub fn for_actor(mut self, actor: &Actor) -> Self {
        let limits = actor.principal.permissions.fields.get(&self.spec.kind);
        for (key, access) in limits.into_iter().flatten() {
            match access {
                FieldAccess::Hidden => self.hidden.push(key.clone()),
                FieldAccess::ReadOnly => self.read_only.push(key.clone()),
            }
        }
        // The name and the owner stay visible: a record must be recognisable.
        self.hidden.retain(|k| k != "name" && k != "owner_id");
        self
    }

    /// Removes the values the reader may not see.
    pub fn strip(&self, values: &mut Values) {
        values.retain(|k, _| !self.hidden.contains(k));
    }

    /// Every custom definition, retired ones included: their stored values are kept.
    pub fn custom_defs(&self) -> Vec<FieldDef> {
        self.custom.iter().map(|c| c.def.clone()).collect()
    }

    /// Fields that can be filtered on (active ones), money compared in the company
    /// currency's units.
    pub fn filterable(&self) -> Vec<FieldDef> {
        self.all().into_iter().map(|f| self.comparable(f)).collect()
    }

    /// A field as lists compare it: money in minor units of the company currency.
    pub fn comparable(&self, field: &FieldDef) -> FieldDef {
        let mut field = field.clone();
        if field.field_type == FieldType::Money {
            field.money_exponent = Some(domain::money::exponent(&self.currency));
        }
        field
    }

    /// Money values finer than their currency allows (`10.5` yen), as field errors.
    pub fn check_money_places(&self, values: &Values, errors: &mut FieldErrors) {
        for field in self.all() {
            if field.field_type != FieldType::Money {
                continue;
            }
            let Some(FieldValue::Decimal(amount)) = values.get(&field.key) else {
                continue;
            };
            let exponent = repo::money_exponent(self.spec, field, values);
            if let Err(e) = domain::money::to_minor(*amount, exponent) {
                match e {
                    domain::money::MoneyError::TooPrecise => {
                        errors.add_limit(&field.key, e.code(), i64::from(exponent))
                    }
                    domain::money::MoneyError::TooLarge => errors.add(&field.key, e.code()),
                }
            }
        }
    }
}

pub fn spec(kind: ObjectKind) -> AppResult<&'static ObjectSpec> {
    domain::objects::spec(kind).ok_or(AppError::NotFound)
}

pub async fn object_fields_tx(
    tx: &mut Tx,
    tenant_id: Uuid,
    kind: ObjectKind,
) -> AppResult<ObjectFields> {
    let spec = spec(kind)?;
    let mut custom = store::custom_fields::list(tx, tenant_id, kind).await?;
    let is_money = |f: &FieldDef| f.field_type == FieldType::Money;
    // Every record read and write loads its fields: the company currency only matters to
    // an object with money fields, so the others skip its query.
    let currency = if spec.fields.iter().any(is_money) || custom.iter().any(|c| is_money(&c.def)) {
        store::tenants::currency(tx, tenant_id).await?
    } else {
        domain::money::DEFAULT_CURRENCY.to_string()
    };
    let exponent = domain::money::exponent(&currency);
    for field in custom.iter_mut().filter(|c| is_money(&c.def)) {
        field.def.money_exponent = Some(exponent);
    }
    let mut fields = ObjectFields {
        spec,
        custom,
        hidden: Vec::new(),
        read_only: Vec::new(),
        currency,
        overrides: Vec::new(),
    };
    crate::picklists::overlay(tx, tenant_id, &mut fields).await?;
    Ok(fields)
}

/// The fields of an object as `actor` may see and change them.
pub async fn actor_fields_tx(
    tx: &mut Tx,
    actor: &Actor,
    kind: ObjectKind,
) -> AppResult<ObjectFields> {
    Ok(object_fields_tx(tx, actor.tenant_id(), kind)
        .await?
        .for_actor(actor))
}

/// The fields of an object as `actor` may see and change them.
pub async fn object_fields(app: &App, actor: &Actor, kind: ObjectKind) -> AppResult<ObjectFields> {
    let mut tx = app.db.begin_read().await?;
    actor_fields_tx(&mut tx, actor, kind).await
}
