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

/// Appends `(<alias>.tenant_id = … AND <scope predicate>)` for the records of `object` that
/// `principal` may see, judged by the owner column `<alias>.owner_id`.
pub fn visible_records(q: &mut SqlBuilder, principal: &Principal, object: ObjectKind, alias: &str) {
    let tenant = q.param(Param::Uuid(principal.tenant_id));
    let scope = match principal.read_scope(object) {
        None => {
            q.push(&format!("({alias}.tenant_id = {tenant} AND 1 = 0)"));
            return;
        }
        Some(scope) => scope,
    };
    let owner = format!("{alias}.owner_id");
    let predicate = match scope {
        DataScope::All => "1 = 1".to_string(),
        DataScope::Own => format!("{owner} = {}", q.param(Param::Uuid(principal.user_id))),
        DataScope::OwnAndSubordinates => {
            let path = q.param(Param::Text(format!("{}%", principal.manager_path)));
            format!(
                "{owner} IN (SELECT su.id FROM users su WHERE su.tenant_id = {tenant} AND su.manager_path LIKE {path})"
            )
        }
        DataScope::Department => match principal.department_id {
            Some(dept) => {
                let dept = q.param(Param::Uuid(dept));
                let me = q.param(Param::Uuid(principal.user_id));
                format!(
                    "({owner} = {me} OR {owner} IN (SELECT su.id FROM users su WHERE su.tenant_id = {tenant} AND su.department_id = {dept}))"
                )
            }
            None => format!("{owner} = {}", q.param(Param::Uuid(principal.user_id))),
        },
        DataScope::DepartmentTree => match &principal.department_path {
            Some(path) => {
                let path = q.param(Param::Text(format!("{path}%")));
                let me = q.param(Param::Uuid(principal.user_id));
                format!(
                    "({owner} = {me} OR {owner} IN (SELECT su.id FROM users su JOIN departments sd ON sd.tenant_id = su.tenant_id AND sd.id = su.department_id WHERE su.tenant_id = {tenant} AND sd.path LIKE {path}))"
                )
            }
            None => format!("{owner} = {}", q.param(Param::Uuid(principal.user_id))),
        },
    };
    q.push(&format!("({alias}.tenant_id = {tenant} AND {predicate})"));
}
