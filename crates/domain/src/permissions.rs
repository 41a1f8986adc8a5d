//! Roles, object actions and data scopes: the permission policy.
//!
//! A role grants, per object, a set of actions and a data scope. The scope decides which
//! records a user sees at all; the actions decide what the user may do with the records in
//! that scope. The store turns a [`Grant`] into one SQL predicate (see `store::visibility`),
//! so every list, page, search, export and API call applies the same rule.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Objects that permissions are granted on. `Org` covers departments, users and roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    Account,
    Contact,
    Lead,
    Opportunity,
    Activity,
    Org,
}

impl ObjectKind {
    pub const ALL: [ObjectKind; 6] = [
        ObjectKind::Account,
        ObjectKind::Contact,
        ObjectKind::Lead,
        ObjectKind::Opportunity,
        ObjectKind::Activity,
        ObjectKind::Org,
    ];

    /// The business-record objects (everything with an owner and a data scope).
    pub const RECORDS: [ObjectKind; 5] = [
        ObjectKind::Account,
        ObjectKind::Contact,
        ObjectKind::Lead,
        ObjectKind::Opportunity,
        ObjectKind::Activity,
    ];

    pub fn key(self) -> &'static str {
        match self {
            ObjectKind::Account => "account",
            ObjectKind::Contact => "contact",
            ObjectKind::Lead => "lead",
            ObjectKind::Opportunity => "opportunity",
            ObjectKind::Activity => "activity",
            ObjectKind::Org => "org",
        }
    }

    pub fn parse(key: &str) -> Option<ObjectKind> {
        ObjectKind::ALL.into_iter().find(|o| o.key() == key)
    }

    /// The actions that mean something for this object.
    pub fn actions(self) -> &'static [Action] {
        match self {
            ObjectKind::Org => &[Action::Read, Action::Administer],
            ObjectKind::Opportunity => &Action::ALL,
            _ => &Action::RECORDS,
        }
    }

    /// Whether a data scope applies (org administration is all-or-nothing).
    pub fn has_scope(self) -> bool {
        !matches!(self, ObjectKind::Org)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Read,
    Edit,
    Delete,
    Export,
    Import,
    Transfer,
    Administer,
    /// Move a deal forward past a stage gate it does not meet (the skip is recorded).
    SkipGate,
}

impl Action {
    /// The actions of every business-record object.
    pub const RECORDS: [Action; 8] = [
        Action::Create,
        Action::Read,
        Action::Edit,
        Action::Delete,
        Action::Export,
        Action::Import,
        Action::Transfer,
        Action::Administer,
    ];

    pub const ALL: [Action; 9] = [
        Action::Create,
        Action::Read,
        Action::Edit,
        Action::Delete,
        Action::Export,
        Action::Import,
        Action::Transfer,
        Action::Administer,
        Action::SkipGate,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Read => "read",
            Action::Edit => "edit",
            Action::Delete => "delete",
            Action::Export => "export",
            Action::Import => "import",
            Action::Transfer => "transfer",
            Action::Administer => "administer",
            Action::SkipGate => "skip_gate",
        }
    }

    pub fn parse(key: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.key() == key)
    }
}

/// Which records of an object a user can see, by who owns them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataScope {
    /// Records the user owns.
    Own,
    /// Records owned by the user or anyone below the user in the manager chain.
    OwnAndSubordinates,
    /// Records owned by anyone whose main department is the user's.
    Department,
    /// Records owned by anyone in the user's department or a department below it.
    DepartmentTree,
    /// Every record of the company.
    All,
}

impl DataScope {
    pub const ALL: [DataScope; 5] = [
        DataScope::Own,
        DataScope::OwnAndSubordinates,
        DataScope::Department,
        DataScope::DepartmentTree,
        DataScope::All,
    ];

    pub fn key(self) -> &'static str {
        match self {
            DataScope::Own => "own",
            DataScope::OwnAndSubordinates => "own_and_subordinates",
            DataScope::Department => "department",
            DataScope::DepartmentTree => "department_tree",
            DataScope::All => "all",
        }
    }

    pub fn parse(key: &str) -> Option<DataScope> {
        DataScope::ALL.into_iter().find(|s| s.key() == key)
    }
}

/// What a role allows on one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub actions: Vec<Action>,
    pub scope: DataScope,
}

impl Grant {
    pub fn allows(&self, action: Action) -> bool {
        self.actions.contains(&action)
    }
}

/// A limit on one field for a role: it can be seen but not changed, or not seen at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldAccess {
    ReadOnly,
    Hidden,
}

impl FieldAccess {
    pub fn key(self) -> &'static str {
        match self {
            FieldAccess::ReadOnly => "read_only",
            FieldAccess::Hidden => "hidden",
        }
    }

    pub fn parse(key: &str) -> Option<FieldAccess> {
        [FieldAccess::ReadOnly, FieldAccess::Hidden]
            .into_iter()
            .find(|a| a.key() == key)
    }
}

/// All grants of a role, stored as JSON on the role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolePermissions {
    pub objects: BTreeMap<ObjectKind, Grant>,
    /// Field-level limits per object (fields not listed are editable).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<ObjectKind, BTreeMap<String, FieldAccess>>,
}

impl RolePermissions {
    pub fn grant(&self, object: ObjectKind) -> Option<&Grant> {
        self.objects.get(&object)
    }

    pub fn allows(&self, object: ObjectKind, action: Action) -> bool {
        self.grant(object).is_some_and(|g| g.allows(action))
    }

    /// The limit on a field for this role, if any.
    pub fn field_access(&self, object: ObjectKind, field: &str) -> Option<FieldAccess> {
        self.fields.get(&object).and_then(|f| f.get(field)).copied()
    }

    /// The same grant on every business-record object.
    fn with_records(mut self, actions: &[Action], scope: DataScope) -> Self {
        for object in ObjectKind::RECORDS {
            self = self.with(object, actions, scope);
        }
        self
    }

    fn with(mut self, object: ObjectKind, actions: &[Action], scope: DataScope) -> Self {
        self.objects.insert(
            object,
            Grant {
                actions: actions.to_vec(),
                scope,
            },
        );
        self
    }
}

/// The roles every new company starts with. `key` identifies them across languages.
pub struct DefaultRole {
    pub key: &'static str,
    pub name_en: &'static str,
    pub name_zh: &'static str,
    pub permissions: RolePermissions,
}

/// The name to show for a role. A built-in role that still has one of its default names
/// (whichever language the company was made in) shows it in the reader's language; a renamed
/// or custom role shows its own name.
pub fn role_display_name<'a>(key: Option<&str>, stored: &'a str, zh: bool) -> &'a str {
    let Some(role) = key.and_then(|k| default_roles().into_iter().find(|r| r.key == k)) else {
        return stored;
    };
    if stored != role.name_zh && stored != role.name_en {
        stored
    } else if zh {
        role.name_zh
    } else {
        role.name_en
    }
}

pub fn default_roles() -> Vec<DefaultRole> {
    use Action::*;
    let record_all = [Create, Read, Edit, Delete, Export, Import, Transfer];
    vec![
        DefaultRole {
            key: "administrator",
            name_en: "Administrator",
            name_zh: "系统管理员",
            permissions: RolePermissions::default()
                .with_records(&Action::RECORDS, DataScope::All)
                .with(ObjectKind::Opportunity, &Action::ALL, DataScope::All)
                .with(ObjectKind::Org, &[Read, Administer], DataScope::All),
        },
        DefaultRole {
            key: "sales_director",
            name_en: "Sales director",
            name_zh: "销售总监",
            permissions: RolePermissions::default()
                .with_records(&record_all, DataScope::All)
                .with(
                    ObjectKind::Opportunity,
                    &[
                        Create, Read, Edit, Delete, Export, Import, Transfer, SkipGate,
                    ],
                    DataScope::All,
                )
                .with(ObjectKind::Org, &[Read], DataScope::All),
        },
        DefaultRole {
            key: "sales_manager",
            name_en: "Sales manager",
            name_zh: "销售经理",
            permissions: RolePermissions::default()
                .with_records(
                    &[Create, Read, Edit, Delete, Export, Transfer],
                    DataScope::DepartmentTree,
                )
                .with(ObjectKind::Org, &[Read], DataScope::All),
        },
        DefaultRole {
            key: "sales_rep",
            name_en: "Sales rep",
            name_zh: "销售代表",
            permissions: RolePermissions::default()
                .with_records(&[Create, Read, Edit], DataScope::Own)
                .with(ObjectKind::Org, &[Read], DataScope::All),
        },
    ]
}

/// Where a user sits, as far as data scopes are concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub tenant_id: uuid::Uuid,
    pub user_id: uuid::Uuid,
    pub department_id: Option<uuid::Uuid>,
    /// Materialised path of the user's main department (`None` without one).
    pub department_path: Option<String>,
    /// Materialised path of the manager chain, ending with the user's own id.
    pub manager_path: String,
    pub role_id: uuid::Uuid,
    pub permissions: RolePermissions,
    /// Records granted beyond the role's scope (shares, teams, pools), read at sign-in.
    pub grants: Grants,
}

/// What is granted to a user beyond their role's data scope, per object: whether any record
/// is shared with them (as a user, by department or role) or has them on its team, and the
/// pools they belong to. The visibility predicate adds its extra branch only for an object
/// with grants, so everyone else's lists keep their plans.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    pub shared: std::collections::BTreeSet<ObjectKind>,
    pub pools: BTreeMap<ObjectKind, Vec<uuid::Uuid>>,
}

impl Grants {
    pub fn any(&self, object: ObjectKind) -> bool {
        self.shared.contains(&object) || self.pools.contains_key(&object)
    }

    pub fn pools(&self, object: ObjectKind) -> &[uuid::Uuid] {
        self.pools.get(&object).map(Vec::as_slice).unwrap_or(&[])
    }
}

impl Principal {
    pub fn can(&self, object: ObjectKind, action: Action) -> bool {
        self.permissions.allows(object, action)
    }

    /// The data scope for reading `object`, or `None` when the role may not read it at all.
    pub fn read_scope(&self, object: ObjectKind) -> Option<DataScope> {
        self.permissions
            .grant(object)
            .filter(|g| g.allows(Action::Read))
            .map(|g| g.scope)
    }

    /// The user's department and every department above it: a share with, or a pool open
    /// to, any of them reaches the user (a department includes its sub-departments).
    pub fn departments(&self) -> Vec<uuid::Uuid> {
        departments_of(self.department_id, self.department_path.as_deref())
    }
}

/// A user's department and the departments above it, from its materialised path.
pub fn departments_of(department: Option<uuid::Uuid>, path: Option<&str>) -> Vec<uuid::Uuid> {
    match (department, path) {
        (Some(_), Some(path)) => crate::org::path_ids(path),
        (Some(d), None) => vec![d],
        (None, _) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_roles_are_ordered_by_reach() {
        let roles = default_roles();
        let scope = |key: &str| {
            roles
                .iter()
                .find(|r| r.key == key)
                .and_then(|r| r.permissions.grant(ObjectKind::Account))
                .map(|g| g.scope)
        };
        assert_eq!(scope("administrator"), Some(DataScope::All));
        assert_eq!(scope("sales_manager"), Some(DataScope::DepartmentTree));
        assert_eq!(scope("sales_rep"), Some(DataScope::Own));
        let rep = &roles[3].permissions;
        assert!(rep.allows(ObjectKind::Account, Action::Create));
        assert!(!rep.allows(ObjectKind::Account, Action::Delete));
        assert!(!rep.allows(ObjectKind::Org, Action::Administer));
    }

    #[test]
    fn permissions_round_trip_through_json() {
        for role in default_roles() {
            let json = serde_json::to_string(&role.permissions).unwrap();
            let back: RolePermissions = serde_json::from_str(&json).unwrap();
            assert_eq!(back, role.permissions);
        }
    }

    #[test]
    fn built_in_role_names_follow_the_reader_unless_renamed() {
        let rep = Some("sales_rep");
        assert_eq!(role_display_name(rep, "销售代表", false), "Sales rep");
        assert_eq!(role_display_name(rep, "Sales rep", true), "销售代表");
        assert_eq!(role_display_name(rep, "销售代表", true), "销售代表");
        assert_eq!(role_display_name(rep, "一线销售", false), "一线销售");
        // A custom role, even one named like a built-in one, keeps its name.
        assert_eq!(role_display_name(None, "销售代表", false), "销售代表");
        assert_eq!(
            role_display_name(Some("gone"), "Sales rep", true),
            "Sales rep"
        );
    }

    #[test]
    fn keys_parse_back() {
        for a in Action::ALL {
            assert_eq!(Action::parse(a.key()), Some(a));
        }
        for s in DataScope::ALL {
            assert_eq!(DataScope::parse(s.key()), Some(s));
        }
        assert_eq!(DataScope::parse("nobody"), None);
    }
}
