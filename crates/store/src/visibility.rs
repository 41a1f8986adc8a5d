//! Row-level visibility: the one place where a data scope becomes SQL.
//!
//! Every query that returns business records to a user — lists, record pages, search,
//! reports, exports, API — takes its `WHERE` clause from [`visible_records`], so that the
//! rule cannot differ between them.

use crate::Param;
use domain::permissions::{DataScope, ObjectKind, Principal};

/// A SQL text under construction with its numbered parameters.
#[derive(Debug, Default, Clone)]
pub struct SqlBuilder {
    pub sql: String,
    pub params: Vec<Param>,
}

impl SqlBuilder {
    pub fn new(sql: &str) -> Self {
        Self {
            sql: sql.to_string(),
            params: Vec::new(),
        }
    }

    /// Adds a parameter and returns its placeholder (`$n`).
    pub fn param(&mut self, value: Param) -> String {
        self.params.push(value);
        format!("${}", self.params.len())
    }

    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }
}

/// Appends `(<alias>.tenant_id = … AND <predicate>)` for the records of `object` that
/// `principal` may see: those in the role's scope (judged by the owner `<alias>.owner_id`),
/// and, for a reader with grants on the object, those shared with them (as a user, through
/// their department or role), with them on the team, or in a pool they belong to.
pub fn visible_records(q: &mut SqlBuilder, principal: &Principal, object: ObjectKind, alias: &str) {
    let grant = Grant::Record(Access::Read);
    predicate(q, principal, object, alias, grant);
}

/// [`visible_records`] as disjoint predicates, for a list ordered and limited on an index:
/// one when the reader has no grants on the object; else the scope's records, the records
/// shared with the reader or with them on the team outside that scope, and the records of
/// each of their pools outside both. A list runs one ordered, limited arm per predicate and merges
/// the arms under its keyset, so each arm walks its own index (the owner's sort index, a few
/// granted ids, a pool's index) instead of the reader's whole scope being read and sorted to
/// interleave a few granted records.
pub fn visible_records_apart(
    q: &mut SqlBuilder,
    principal: &Principal,
    object: ObjectKind,
    alias: &str,
    shape: ListShape,
) -> Vec<Arm> {
    let sqlite = shape.backend == crate::Backend::Sqlite;
    let scope = principal.read_scope(object);
    let granted = scope.is_some_and(|s| s != DataScope::All) && principal.grants.any(object);
    if let Some(scope) = scope.filter(|_| !granted) {
        if let Some(arm) = per_owner(q, principal, object, scope, alias, shape) {
            return vec![arm];
        }
    }
    let (Some(scope), true) = (scope, granted) else {
        let mut one = SqlBuilder {
            sql: String::new(),
            params: std::mem::take(&mut q.params),
        };
        visible_records(&mut one, principal, object, alias);
        q.params = one.params;
        return vec![Arm::walked(one.sql)];
    };
    let mut arms = Vec::new();
    if let Some(arm) = per_owner(q, principal, object, scope, alias, shape) {
        arms.push(arm);
    }
    let tenant = q.param(Param::Uuid(principal.tenant_id));
    let in_tenant = |predicate: String| format!("({alias}.tenant_id = {tenant} AND {predicate})");
    let owner = format!("{alias}.owner_id");
    if arms.is_empty() {
        let own = owner_predicate(q, principal, scope, &tenant, &owner);
        arms.push(Arm::walked(in_tenant(unpooled(object, scope, &own, alias))));
    }
    let mut ids = Vec::new();
    granted_ids(q, principal, object, &tenant, Access::Read, &mut ids);
    let not_own = |q: &mut SqlBuilder| {
        let own = owner_predicate(q, principal, scope, &tenant, &owner);
        format!("({}) IS NOT TRUE", unpooled(object, scope, &own, alias))
    };
    let granted_in = if ids.is_empty() {
        None
    } else {
        let not_own = not_own(q);
        // `UNION`: a record shared several ways (user, role, team) is joined once.
        let ids_sql = ids.join(" UNION ");
        // SQLite would rather walk a sort or filter index and test each row against the few
        // granted ids: the arm is driven from them (a CROSS JOIN keeps its order).
        arms.push(if sqlite && !shape.searched {
            Arm {
                predicate: in_tenant(format!("{alias}.id = g.record_id AND {not_own}")),
                driver: Driver::GrantedIds(ids_sql),
            }
        } else {
            Arm::walked(in_tenant(format!(
                "{alias}.id IN ({ids_sql}) AND {not_own}"
            )))
        });
        Some(ids)
    };
    // One arm per pool, each on its pool's index in list order (`pool_id IN (…)` over
    // several pools made SQLite walk the company's order index instead, reading a million
    // rows for a pool with a few records).
    if has_pools(object) {
        for pool in principal.grants.pools(object) {
            let pool = q.param(Param::Uuid(*pool));
            let not_own = not_own(q);
            // SQLite's `+column` keeps the planner off that column's index.
            let plus = if sqlite && shape.related { "+" } else { "" };
            let mut predicate = format!("{plus}{alias}.pool_id = {pool} AND {not_own}");
            if granted_in.is_some() {
                // Granted ids bound again: the placeholders above belong to the other arm's text.
                let mut again = Vec::new();
                granted_ids(q, principal, object, &tenant, Access::Read, &mut again);
                predicate.push_str(&format!(
                    " AND {alias}.id NOT IN ({})",
                    again.join(" UNION ALL ")
                ));
            }
            arms.push(Arm::walked(in_tenant(predicate)));
        }
    }
    arms
}

/// What [`visible_records_apart`] needs to know of the list it serves.
#[derive(Clone, Copy)]
pub struct ListShape {
    pub backend: crate::Backend,
    /// A related list: its lookup's index is narrower than a pool's, so on SQLite the pool
    /// arm only filters on its pool instead of walking the pool's index.
    pub related: bool,
    /// A search driven by a token's postings, which stay the arm's driver.
    pub searched: bool,
    /// No condition narrows the list and its order is one every owner has an index for
    /// (`(tenant_id, owner_id, <sort>, id)`): a team's records are best read owner by owner.
    pub owner_ordered: bool,
}

/// One branch of [`visible_records_apart`]: its predicate and how its rows are reached.
pub struct Arm {
    pub predicate: String,
    pub driver: Driver,
}

/// Where an arm's rows come from.
pub enum Driver {
    /// The predicate alone: the planner picks the index.
    Walked,
    /// A few granted records: the SELECT of their ids, which the list's FROM must start with
    /// (`FROM (<ids>) g CROSS JOIN <table> t`; the predicate joins on `g.record_id`).
    GrantedIds(String),
    /// PostgreSQL, a team's records: the SELECT of the team's user ids, each owner's records
    /// read ordered and limited on the owner's own index and merged
    /// (`FROM (<owners>) o CROSS JOIN LATERAL (<the arm>) t`; the predicate joins on `o.id`).
    Owners(String),
}

impl Arm {
    fn walked(predicate: String) -> Self {
        Arm {
            predicate,
            driver: Driver::Walked,
        }
    }
}

/// The records `principal` may edit, given the role allows editing: those in the role's
/// scope and those shared with them, or with them on the team, with `edit` access.
pub fn editable_records(
    q: &mut SqlBuilder,
    principal: &Principal,
    object: ObjectKind,
    alias: &str,
) {
    let grant = Grant::Record(Access::Edit);
    predicate(q, principal, object, alias, grant);
}

/// The records in the role's own scope, grants left out: what the owner's rights (delete,
/// transfer, managing shares and team) apply to.
pub fn scoped_records(q: &mut SqlBuilder, principal: &Principal, object: ObjectKind, alias: &str) {
    predicate(q, principal, object, alias, Grant::None);
}

/// The role's read scope on `object` as a condition on a user column of another table
/// (`column` names the user a row belongs to, such as a showroom visit's consultant), so
/// that rows about an object's work reach as far as its records do: everyone for "all", the
/// user's team for a manager, the user alone for "own", nobody without the read grant.
/// Grants beyond the scope (shares, pools) name records, not users, so they add nothing.
pub fn users_in_scope(
    q: &mut SqlBuilder,
    principal: &Principal,
    object: ObjectKind,
    column: &str,
) -> String {
    let tenant = q.param(Param::Uuid(principal.tenant_id));
    match principal.read_scope(object) {
        None => "1 = 0".to_string(),
        Some(scope) => owner_predicate(q, principal, scope, &tenant, column),
    }
}

/// The events of `object` the principal may read: by the owner at the time of the event, or
/// because the record is shared with them or has them on its team.
pub fn visible_events(q: &mut SqlBuilder, principal: &Principal, object: ObjectKind, alias: &str) {
    predicate(q, principal, object, alias, Grant::Event);
}

#[derive(Clone, Copy, PartialEq)]
enum Access {
    Read,
    Edit,
}

#[derive(Clone, Copy)]
enum Grant {
    /// Owner scope only.
    None,
    /// A row of the object's table, whose id is `<alias>.id`.
    Record(Access),
    /// An event, whose record is `<alias>.record_id`.
    Event,
}

fn predicate(
    q: &mut SqlBuilder,
    principal: &Principal,
    object: ObjectKind,
    alias: &str,
    grant: Grant,
) {
    let tenant = q.param(Param::Uuid(principal.tenant_id));
    let scope = match principal.read_scope(object) {
        None => {
            q.push(&format!("({alias}.tenant_id = {tenant} AND 1 = 0)"));
            return;
        }
        Some(scope) => scope,
    };
    let granted = principal.grants.any(object) && scope != DataScope::All;
    let table = crate::records::table(object).ok().filter(|_| granted);
    let predicate = match (grant, table) {
        (Grant::Record(access), Some(_)) => {
            let mut ids = Vec::new();
            granted_ids(q, principal, object, &tenant, access, &mut ids);
            let own = owner_predicate(q, principal, scope, &tenant, &format!("{alias}.owner_id"));
            let mut terms = vec![unpooled(object, scope, &own, alias)];
            if !ids.is_empty() {
                terms.push(format!("{alias}.id IN ({})", ids.join(" UNION ALL ")));
            }
            if access == Access::Read && has_pools(object) {
                let pools: Vec<String> = principal
                    .grants
                    .pools(object)
                    .iter()
                    .map(|p| q.param(Param::Uuid(*p)))
                    .collect();
                if !pools.is_empty() {
                    terms.push(format!("{alias}.pool_id IN ({})", pools.join(", ")));
                }
            }
            format!("({})", terms.join(" OR "))
        }
        (Grant::Event, Some(_)) => {
            let own = owner_predicate(q, principal, scope, &tenant, &format!("{alias}.owner_id"));
            let mut branches = Vec::new();
            granted_ids(q, principal, object, &tenant, Access::Read, &mut branches);
            if branches.is_empty() {
                own
            } else {
                format!(
                    "({own} OR {alias}.record_id IN ({}))",
                    branches.join(" UNION ALL ")
                )
            }
        }
        _ => {
            let own = owner_predicate(q, principal, scope, &tenant, &format!("{alias}.owner_id"));
            unpooled(object, scope, &own, alias)
        }
    };
    q.push(&format!("({alias}.tenant_id = {tenant} AND {predicate})"));
}

/// The SELECTs of the record ids shared with the principal or with them on the team, each on
/// its grantee index.
fn granted_ids(
    q: &mut SqlBuilder,
    principal: &Principal,
    object: ObjectKind,
    tenant: &str,
    access: Access,
    branches: &mut Vec<String>,
) {
    if !principal.grants.shared.contains(&object) {
        return;
    }
    let key = q.param(Param::Text(object.key().to_string()));
    let edit = if access == Access::Edit {
        " AND g.access = 'edit'"
    } else {
        ""
    };
    let me = q.param(Param::Uuid(principal.user_id));
    let role = q.param(Param::Uuid(principal.role_id));
    let mut grantees = vec![("user_id", me.clone()), ("role_id", role)];
    let departments: Vec<String> = principal
        .departments()
        .into_iter()
        .map(|d| q.param(Param::Uuid(d)))
        .collect();
    if !departments.is_empty() {
        grantees.push(("department_id", departments.join(", ")));
    }
    for (column, values) in grantees {
        branches.push(format!(
            "SELECT g.record_id FROM record_shares g WHERE g.tenant_id = {tenant} AND g.{column} IN ({values}) AND g.object = {key}{edit}"
        ));
    }
    branches.push(format!(
        "SELECT g.record_id FROM record_team g WHERE g.tenant_id = {tenant} AND g.user_id = {me} AND g.object = {key}{edit}"
    ));
}

/// The role's scope as a condition on the owner column `owner`.
fn owner_predicate(
    q: &mut SqlBuilder,
    principal: &Principal,
    scope: DataScope,
    tenant: &str,
    owner: &str,
) -> String {
    match scope {
        DataScope::All => "1 = 1".to_string(),
        DataScope::Own => format!("{owner} = {}", q.param(Param::Uuid(principal.user_id))),
        _ => match team(q, principal, scope, tenant) {
            Some(Team::Subordinates(users)) => format!("{owner} IN ({users})"),
            Some(Team::Colleagues { me, users }) => {
                format!("({owner} = {me} OR {owner} IN ({users}))")
            }
            None => format!("{owner} = {}", q.param(Param::Uuid(principal.user_id))),
        },
    }
}

/// The users of a team scope, as SQL over `users su`.
enum Team {
    /// The manager and everyone below them (the manager's path is a prefix of their own).
    Subordinates(String),
    /// The user (`me`, a placeholder) and the users of their department or department tree.
    Colleagues { me: String, users: String },
}

/// The team a scope covers; `None` for a scope of one user or of everyone, and for a
/// department scope of a user without a department (their own records only).
fn team(q: &mut SqlBuilder, principal: &Principal, scope: DataScope, tenant: &str) -> Option<Team> {
    match scope {
        DataScope::All | DataScope::Own => None,
        DataScope::OwnAndSubordinates => {
            let path = q.param(Param::Text(format!("{}%", principal.manager_path)));
            Some(Team::Subordinates(format!(
                "SELECT su.id FROM users su WHERE su.tenant_id = {tenant} AND su.manager_path LIKE {path}"
            )))
        }
        DataScope::Department => {
            let dept = q.param(Param::Uuid(principal.department_id?));
            let me = q.param(Param::Uuid(principal.user_id));
            Some(Team::Colleagues {
                me,
                users: format!(
                    "SELECT su.id FROM users su WHERE su.tenant_id = {tenant} AND su.department_id = {dept}"
                ),
            })
        }
        DataScope::DepartmentTree => {
            let path = q.param(Param::Text(format!(
                "{}%",
                principal.department_path.as_ref()?
            )));
            let me = q.param(Param::Uuid(principal.user_id));
            Some(Team::Colleagues {
                me,
                users: format!(
                    "SELECT su.id FROM users su JOIN departments sd ON sd.tenant_id = su.tenant_id AND sd.id = su.department_id WHERE su.tenant_id = {tenant} AND sd.path LIKE {path}"
                ),
            })
        }
    }
}

/// On PostgreSQL, the scope arm of a team read owner by owner, for a list `owner_ordered`:
/// walking the company's order index and testing each row's owner reads every record of
/// the company between two of the team's (50 ms for a manager's deep page at a million
/// accounts); each owner's own index gives their next records at once. PostgreSQL cannot
/// merge the ordered scans of an `IN` list itself, hence the lateral join.
fn per_owner(
    q: &mut SqlBuilder,
    principal: &Principal,
    object: ObjectKind,
    scope: DataScope,
    alias: &str,
    shape: ListShape,
) -> Option<Arm> {
    if shape.backend != crate::Backend::Postgres || !shape.owner_ordered {
        return None;
    }
    if !matches!(
        scope,
        DataScope::OwnAndSubordinates | DataScope::Department | DataScope::DepartmentTree
    ) {
        return None;
    }
    if !team_known(principal, scope) {
        return None;
    }
    let tenant = q.param(Param::Uuid(principal.tenant_id));
    let owners = match team(q, principal, scope, &tenant)? {
        Team::Subordinates(users) => users,
        Team::Colleagues { me, users } => format!("SELECT {me}::uuid AS id UNION {users}"),
    };
    let predicate = unpooled(object, scope, &format!("{alias}.owner_id = o.id"), alias);
    Some(Arm {
        predicate: format!("({alias}.tenant_id = {tenant} AND {predicate})"),
        driver: Driver::Owners(owners),
    })
}

/// Whether a department scope has a department to cover (else it is the user's own records).
fn team_known(principal: &Principal, scope: DataScope) -> bool {
    match scope {
        DataScope::Department => principal.department_id.is_some(),
        DataScope::DepartmentTree => principal.department_path.is_some(),
        _ => true,
    }
}

/// The owner's scope on an object with pools leaves out the records in a pool: a record in
/// a pool has no owner (its `owner_id` keeps who had it last) and is seen by the pool's
/// members, and by those who see every record.
fn unpooled(object: ObjectKind, scope: DataScope, own: &str, alias: &str) -> String {
    if has_pools(object) && scope != DataScope::All {
        format!("({own} AND {alias}.pool_id IS NULL)")
    } else {
        own.to_string()
    }
}

/// The objects whose records may sit in a pool (`pool_id`).
pub fn has_pools(object: ObjectKind) -> bool {
    domain::pools::spec(object).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::permissions::{default_roles, Grants};

    fn rep(grants: Grants) -> Principal {
        let role = default_roles()
            .into_iter()
            .find(|r| r.key == "sales_rep")
            .expect("rep role");
        Principal {
            tenant_id: uuid::Uuid::now_v7(),
            user_id: uuid::Uuid::now_v7(),
            department_id: None,
            department_path: None,
            manager_path: "/x/".into(),
            role_id: uuid::Uuid::now_v7(),
            permissions: role.permissions,
            grants,
        }
    }

    fn sql(p: &Principal, object: ObjectKind) -> String {
        let mut q = SqlBuilder::default();
        visible_records(&mut q, p, object, "t");
        q.sql
    }

    #[test]
    fn the_granted_branch_is_added_only_where_there_are_grants() {
        let plain = rep(Grants::default());
        assert_eq!(
            sql(&plain, ObjectKind::Account),
            "(t.tenant_id = $1 AND (t.owner_id = $2 AND t.pool_id IS NULL))"
        );
        assert_eq!(
            sql(&plain, ObjectKind::Contact),
            "(t.tenant_id = $1 AND t.owner_id = $2)"
        );
        let mut grants = Grants::default();
        grants.shared.insert(ObjectKind::Contact);
        grants
            .pools
            .insert(ObjectKind::Lead, vec![uuid::Uuid::now_v7()]);
        let granted = rep(grants);
        assert_eq!(
            sql(&granted, ObjectKind::Account),
            sql(&plain, ObjectKind::Account)
        );
        let contacts = sql(&granted, ObjectKind::Contact);
        assert!(
            contacts.contains(" OR t.id IN (SELECT g.record_id"),
            "{contacts}"
        );
        assert!(contacts.contains("record_shares") && contacts.contains("record_team"));
        assert!(!contacts.contains("pool_id"));
        let leads = sql(&granted, ObjectKind::Lead);
        assert!(leads.contains("t.pool_id IN ($"), "{leads}");
        assert!(!leads.contains("record_shares"), "{leads}");
        let mut q = SqlBuilder::default();
        editable_records(&mut q, &granted, ObjectKind::Lead, "t");
        assert!(
            !q.sql.contains("pool_id IN"),
            "a pool only shows its records"
        );
        assert!(
            q.sql.contains("pool_id IS NULL"),
            "nor are its records in anyone's scope"
        );
    }
}
