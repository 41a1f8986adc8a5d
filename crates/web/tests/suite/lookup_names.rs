//! What a reader learns of records they cannot open through records they can: a lookup's
//! name, nothing else; counts and roll-ups never include them.

use crate::account_fixture::AccountInput;
use crate::on_both_databases;
use crate::support::Env;
use app::AppError;
use domain::permissions::ObjectKind;

on_both_databases!(a_lookup_shows_a_name_but_counts_only_what_the_reader_sees);

async fn account(
    env: &Env,
    actor: &app::Actor,
    name: &str,
    parent: Option<uuid::Uuid>,
    owner: uuid::Uuid,
) -> uuid::Uuid {
    crate::account_fixture::create(
        &env.app,
        actor,
        &AccountInput {
            name: Some(name.into()),
            parent_id: parent.map(|p| p.to_string()),
            owner_id: Some(owner.to_string()),
            ..Default::default()
        },
    )
    .await
    .expect("create account")
    .id
}

async fn a_lookup_shows_a_name_but_counts_only_what_the_reader_sees(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    let admin = &c.admin;
    let group = account(&env, admin, "集团总部", None, admin.id()).await;
    let branch = account(&env, admin, "华东分公司", Some(group), rep.id()).await;
    account(&env, admin, "上海办事处", Some(branch), rep.id()).await;
    account(&env, admin, "南京办事处", Some(branch), admin.id()).await;

    // The sub-account count of a roll-up counts only the sub-accounts the reader sees.
    let rollup = app::account360::rollup(&env.app, &rep, branch)
        .await
        .expect("rollup");
    assert_eq!(rollup.children, 1);
    let rollup = app::account360::rollup(&env.app, admin, branch)
        .await
        .expect("rollup");
    assert_eq!(rollup.children, 2);

    // The parent's name is shown, as every lookup's; the parent itself is not found.
    let seen = crate::account_fixture::get(&env.app, &rep, branch)
        .await
        .expect("get");
    assert_eq!(seen.parent_id, Some(group));
    assert_eq!(seen.parent_name.as_deref(), Some("集团总部"));
    assert!(matches!(
        crate::account_fixture::get(&env.app, &rep, group).await,
        Err(AppError::NotFound)
    ));
    let api = env.api(&env.token(&rep).await);
    let r = api.get(&format!("/api/v1/accounts/{branch}")).await;
    assert_eq!(r.status, axum::http::StatusCode::OK, "{}", r.body);
    let body = r.json();
    let parent_keys: Vec<&String> = body
        .as_object()
        .expect("an object")
        .keys()
        .filter(|k| k.starts_with("parent"))
        .collect();
    assert_eq!(parent_keys, ["parent_id", "parent_name"], "{body}");
    assert_eq!(
        api.get(&format!("/api/v1/accounts/{group}")).await.status,
        axum::http::StatusCode::NOT_FOUND
    );
    // The same for a contact's account: its name in `names`, nothing more.
    let contact = app::records::create(
        &env.app,
        admin,
        ObjectKind::Contact,
        &vec![
            ("name".to_string(), vec!["张伟".to_string()]),
            ("account_id".to_string(), vec![group.to_string()]),
            ("owner_id".to_string(), vec![rep.id().to_string()]),
        ],
    )
    .await
    .expect("create contact");
    let view = app::records::get(&env.app, &rep, ObjectKind::Contact, contact)
        .await
        .expect("get contact");
    assert_eq!(view.name_of(&group), Some("集团总部"));
    assert_eq!(
        view.names.len(),
        2,
        "the account's and the owner's names only"
    );
}
