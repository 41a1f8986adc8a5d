//! Every time a use case writes comes from the application's clock: records, their field
//! history, users and tokens.

use crate::on_both_databases;
use crate::support::Env;
use chrono::{TimeZone, Utc};
use domain::permissions::ObjectKind;

on_both_databases!(record_and_history_times_come_from_the_clock);

async fn record_and_history_times_come_from_the_clock(env: Env) {
    let past = Utc
        .with_ymd_and_hms(2021, 3, 4, 5, 6, 7)
        .single()
        .expect("a time");
    env.clock.advance(past - env.app.now());
    let c = env.company("甲公司", "admin@a.example").await;
    // The company's users and tokens are written at the clock's time too.
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    let mut tx = env.app.db.begin_read().await.expect("tx");
    for id in [c.admin.id(), rep.id()] {
        let user = store::org::get_user(&mut tx, c.tenant_id, id)
            .await
            .expect("user")
            .expect("exists");
        assert_eq!(user.created_at, past);
    }
    drop(tx);
    env.token(&rep).await;
    let tokens = app::auth::list_tokens(&env.app, &rep)
        .await
        .expect("tokens");
    assert!(!tokens.is_empty() && tokens.iter().all(|t| t.created_at == past));
    let created = env.account(&c.admin, "华为").await;
    assert_eq!((created.created_at, created.updated_at), (past, past));
    let later = past + chrono::Duration::days(3);
    env.clock.advance(later - past);
    let mut edit = created.fields().to_input();
    edit.grade = Some("A".into());
    let saved = crate::account_fixture::update(&env.app, &c.admin, created.id, 1, &edit)
        .await
        .expect("update");
    assert_eq!((saved.created_at, saved.updated_at), (past, later));
    let history = crate::account_fixture::history(&env.app, &c.admin, created.id, None, 10)
        .await
        .expect("history");
    assert!(!history.is_empty());
    assert!(history.iter().all(|h| h.changed_at == later), "{history:?}");

    let contact = app::records::create(
        &env.app,
        &c.admin,
        ObjectKind::Contact,
        &vec![("name".to_string(), vec!["张伟".to_string()])],
    )
    .await
    .expect("create");
    app::records::update(
        &env.app,
        &c.admin,
        ObjectKind::Contact,
        contact,
        1,
        &vec![("title".to_string(), vec!["经理".to_string()])],
    )
    .await
    .expect("update");
    let history = app::records::history(&env.app, &c.admin, ObjectKind::Contact, contact, None, 10)
        .await
        .expect("history");
    assert!(!history.is_empty());
    assert!(history.iter().all(|h| h.changed_at == later), "{history:?}");
    let view = app::records::get(&env.app, &c.admin, ObjectKind::Contact, contact)
        .await
        .expect("get");
    assert_eq!(
        view.record.values.get("updated_at"),
        Some(&domain::fields::FieldValue::DateTime(later))
    );
}
