//! How lists beyond one owner read their records: a manager's lists hold the team's records
//! exactly once and in order, whichever way the list reads them (on PostgreSQL owner by
//! owner, on each owner's own index), with and without a record shared from outside the
//! team; a pool member's list reads each pool on the pool's own index in list order.

use crate::on_both_databases;
use crate::paging::{exactly_once, walk};
use crate::support::Env;
use app::Actor;
use chrono::Duration;
use domain::permissions::ObjectKind;
use std::collections::BTreeSet;
use store::records::OWNER_ORDERED;
use uuid::Uuid;

on_both_databases!(
    a_managers_lists_hold_the_team_once_in_order,
    a_pool_members_list_reads_each_pool_in_list_order
);

/// Creates `n` records of `kind` owned by `owner` (as the administrator), names and instants
/// colliding across owners; the ids.
async fn records_of(
    env: &Env,
    admin: &Actor,
    kind: ObjectKind,
    owner: Uuid,
    account: Uuid,
) -> Vec<Uuid> {
    let fields = app::records::object_fields(&env.app, admin, kind)
        .await
        .expect("fields");
    let mut ids = Vec::new();
    for i in 0..3 {
        // Every other record at the same instant as the one before.
        env.clock.advance(Duration::milliseconds(i % 2));
        let mut input = app::records::Input::new();
        for field in fields.all() {
            if !field.required || !fields.writable(field) {
                continue;
            }
            let value = match field.key.as_str() {
                "name" => format!("同名{}", i % 2),
                "owner_id" => continue,
                _ => match field.field_type {
                    domain::fields::FieldType::Lookup => account.to_string(),
                    domain::fields::FieldType::Picklist => field.options[0].key.clone(),
                    domain::fields::FieldType::DateTime => "2026-11-20T10:00:00+08:00".into(),
                    domain::fields::FieldType::Date => "2026-11-20".into(),
                    _ => "1".into(),
                },
            };
            input.push((field.key.clone(), vec![value]));
        }
        input.push(("owner_id".into(), vec![owner.to_string()]));
        let id = app::records::create(&env.app, admin, kind, &input)
            .await
            .unwrap_or_else(|e| panic!("create {kind:?} from {input:?}: {e:?}"));
        ids.push(id);
    }
    ids
}

async fn a_managers_lists_hold_the_team_once_in_order(env: Env) {
    let c = env.company("团队", "admin@team.example").await;
    let admin = &c.admin;
    let east = env.department(&c, "华东", None).await;
    let east_one = env.department(&c, "华东一组", Some(east)).await;
    let west = env.department(&c, "华西", None).await;
    let manager = env
        .user(&c, "boss@team.example", "sales_manager", Some(east), None)
        .await;
    let near = env
        .user(
            &c,
            "near@team.example",
            "sales_rep",
            Some(east),
            Some(manager.id()),
        )
        .await;
    let below = env
        .user(&c, "below@team.example", "sales_rep", Some(east_one), None)
        .await;
    let other = env
        .user(&c, "other@team.example", "sales_rep", Some(west), None)
        .await;
    let account = env.account(admin, "共用客户").await.id;
    let team = [manager.id(), near.id(), below.id()];
    let mut shared_away = None;
    let mut team_accounts = BTreeSet::new();
    for kind in ObjectKind::RECORDS {
        let mut team_ids = BTreeSet::new();
        for owner in [manager.id(), near.id(), below.id(), other.id(), admin.id()] {
            let ids = records_of(&env, admin, kind, owner, account).await;
            if team.contains(&owner) {
                team_ids.extend(ids.iter().copied());
            } else if owner == other.id() && kind == ObjectKind::Account {
                shared_away = Some(ids[0]);
            }
        }
        // On PostgreSQL the unfiltered list goes owner by owner on the owners' indexes.
        let spec = domain::objects::spec(kind).expect("record object");
        let updated_at = spec.field("updated_at").expect("updated_at");
        let query = store::records::ListQuery {
            conditions: &[],
            related: None,
            search_tokens: &[],
            sort: updated_at,
            descending: true,
            after: None,
            limit: 10,
        };
        let (statement, plan) = planned(&env, &manager, spec, &query).await;
        if env.app.db.backend() == store::Backend::Postgres {
            assert!(
                statement.sql.contains("LATERAL"),
                "{kind:?}: {}",
                statement.sql
            );
            assert!(
                plan.iter()
                    .any(|l| l.contains("Index Scan") && l.contains("_owner_")),
                "{kind:?} walks an owner's index: {plan:#?}"
            );
        } else {
            assert!(
                !statement.sql.contains("LATERAL"),
                "{kind:?}: {}",
                statement.sql
            );
        }
        check_walks(&env, admin, &manager, kind, &team_ids).await;
        if kind == ObjectKind::Account {
            team_accounts = team_ids;
        }
    }
    // A record shared from outside the team is one more arm, merged under the same order.
    let shared = shared_away.expect("an account of the other rep");
    let share = app::sharing::ShareInput {
        user_id: Some(manager.id().to_string()),
        access: Some("read".into()),
        ..Default::default()
    };
    app::sharing::share(&env.app, admin, ObjectKind::Account, shared, &share)
        .await
        .expect("share");
    let manager = env.actor(c.tenant_id, manager.id()).await;
    let mut expected = team_accounts;
    expected.insert(shared);
    check_walks(&env, admin, &manager, ObjectKind::Account, &expected).await;
}

/// Every owner-ordered sort, both ways, in pages of 1, 2 and 5: exactly `expected`, in the
/// administrator's order (who reads the whole company, on the company's order indexes).
async fn check_walks(
    env: &Env,
    admin: &Actor,
    reader: &Actor,
    kind: ObjectKind,
    expected: &BTreeSet<Uuid>,
) {
    let expected_ids: Vec<Uuid> = expected.iter().copied().collect();
    for key in OWNER_ORDERED {
        for sort in [key.to_string(), format!("-{key}")] {
            let order: Vec<Uuid> = walk(env, admin, kind, &sort, 50)
                .await
                .into_iter()
                .filter(|id| expected.contains(id))
                .collect();
            for page in [1, 2, 5] {
                let seen = walk(env, reader, kind, &sort, page).await;
                let what = format!("{kind:?} by {sort}, pages of {page}");
                exactly_once(&what, &expected_ids, &seen).expect("the team once");
                assert_eq!(seen, order, "{what}: in order");
            }
        }
    }
}

/// Filtered and sorted by each order every owner has, a rep's leads and accounts read each
/// of their pools (the default pool and one more for leads) on that pool's index: SQLite
/// walked the company's order index for `pool_id IN (…)`, a million rows for an empty pool.
async fn a_pool_members_list_reads_each_pool_in_list_order(env: Env) {
    let c = env.company("公海", "admin@pool.example").await;
    let admin = &c.admin;
    let second = app::pools::PoolInput {
        object: Some("lead".into()),
        name: Some("展会线索".into()),
        open_to_all: Some(true),
        ..Default::default()
    };
    app::pools::create(&env.app, admin, &second)
        .await
        .expect("second lead pool");
    let rep = env
        .user(&c, "rep@pool.example", "sales_rep", None, None)
        .await;
    for (kind, pools) in [(ObjectKind::Lead, 2), (ObjectKind::Account, 1)] {
        assert_eq!(rep.principal.grants.pools(kind).len(), pools, "{kind:?}");
        let spec = domain::objects::spec(kind).expect("record object");
        let owner = spec.field("owner_id").expect("owner").clone();
        let conditions = [domain::views::Condition {
            field: owner,
            test: domain::views::Test::NotEmpty,
        }];
        for key in OWNER_ORDERED {
            let query = store::records::ListQuery {
                conditions: &conditions,
                related: None,
                search_tokens: &[],
                sort: spec.field(key).expect("sort"),
                descending: true,
                after: None,
                limit: 50,
            };
            let (_, plan) = planned(&env, &rep, spec, &query).await;
            if env.app.db.backend() == store::Backend::Sqlite {
                let on_pool_index = plan
                    .iter()
                    .filter(|l| l.contains(&format!("{}_pool_", spec.plural)))
                    .count();
                assert_eq!(on_pool_index, pools, "{kind:?} by {key}: {plan:#?}");
            }
            // The statement runs on both databases.
            let request = app::records::ListRequest {
                sort: Some(format!("-{key}")),
                ..Default::default()
            };
            app::records::list(&env.app, &rep, kind, &request)
                .await
                .expect("list");
        }
    }
}

/// The statement a list runs for `reader`, and how the database plans it.
async fn planned(
    env: &Env,
    reader: &Actor,
    spec: &domain::objects::ObjectSpec,
    query: &store::records::ListQuery<'_>,
) -> (store::visibility::SqlBuilder, Vec<String>) {
    let mut tx = env.app.db.begin_read().await.expect("tx");
    let statement = store::records::list_statement(&mut tx, &reader.principal, spec, query)
        .await
        .expect("statement");
    let plan = store::records::explain(&mut tx, &statement)
        .await
        .expect("plan");
    (statement, plan)
}
