//! Money: amounts kept exactly in each currency's minor units (JPY whole yen), decimal
//! strings in the API, custom money fields alike, the migration of stored values, and the
//! company currency with dated exchange rates — set by administrators, read by everyone.

use crate::on_both_databases;
use crate::support::{field_codes, Env};
use axum::http::StatusCode;
use domain::fields::{FieldDef, FieldType};
use domain::permissions::ObjectKind;
use serde_json::{json, Value};
use store::Db;

on_both_databases!(
    amounts_are_exact_in_each_currency,
    custom_money_fields_store_minor_units,
    stored_amounts_are_converted_by_the_migration,
    exchange_rates_sum_amounts_in_the_company_currency,
);

async fn execute(db: &Db, sql: &str) {
    match db {
        Db::Sqlite(s) => sqlx::query(sql).execute(&s.writer).await.map(|_| ()),
        Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn amounts_are_exact_in_each_currency(env: Env) {
    let c = env.company("币种", "admin@money.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let account = env.account(&c.admin, "金额客户").await;
    let create = |amount: Value, currency: &str| json!({"name": "商机", "account_id": account.id, "amount": amount, "currency": currency});
    for (amount, currency, answered) in [
        (json!("25,000.50"), "CNY", "25000.50"),
        (json!(99.99), "USD", "99.99"),
        (json!("1234"), "JPY", "1234"),
        (json!("7.000"), "JPY", "7"),
        (json!("123456789012.34"), "CNY", "123456789012.34"),
    ] {
        let r = api
            .post("/api/v1/opportunities", create(amount.clone(), currency))
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{amount} {currency}: {}",
            r.body
        );
        assert_eq!(r.json()["amount"], json!(answered), "{amount} {currency}");
        let read = api
            .get(&format!(
                "/api/v1/opportunities/{}",
                r.json()["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(read.json()["amount"], json!(answered));
    }
    // Finer than the currency allows: a field error naming the places, in the reader's language.
    for (amount, currency, places) in [("10.5", "JPY", "0"), ("0.001", "CNY", "2")] {
        let r = api
            .call(
                axum::http::Method::POST,
                "/api/v1/opportunities",
                Some(create(json!(amount), currency)),
                &[("accept-language", "en")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(
            field_codes(&r),
            vec![("amount".to_string(), "too_precise".to_string())]
        );
        let message = r.json()["error"]["fields"][0]["message"].clone();
        assert!(
            message.as_str().unwrap_or_default().contains(places),
            "{message}"
        );
    }
    // Changing the currency re-checks the amount: 10.50 yuan cannot become yen.
    let r = api
        .post("/api/v1/opportunities", create(json!("10.50"), "CNY"))
        .await;
    let id = r.json()["id"].as_str().unwrap().to_string();
    let r = api
        .patch(
            &format!("/api/v1/opportunities/{id}"),
            json!({"currency": "JPY"}),
            "\"1\"",
        )
        .await;
    assert_eq!(
        field_codes(&r),
        vec![("amount".into(), "too_precise".into())]
    );
    let r = api
        .patch(
            &format!("/api/v1/opportunities/{id}"),
            json!({"currency": "JPY", "amount": "11"}),
            "\"1\"",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["amount"], json!("11"));
    // Sorting by amount pages through every record once (minor units are what is compared).
    let mut seen = Vec::new();
    let mut path = "/api/v1/opportunities?sort=-amount&limit=2".to_string();
    loop {
        let page = api.get(&path).await.json();
        for item in page["items"].as_array().unwrap() {
            seen.push(item["id"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                path = format!("/api/v1/opportunities?sort=-amount&limit=2&cursor={cursor}")
            }
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (6, 6), "{seen:?}");
    // A filter's amount is in the company currency's units.
    let page = api
        .get("/api/v1/opportunities?filter=amount:gte:25000.5&sort=amount")
        .await
        .json();
    let amounts: Vec<&Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["amount"])
        .collect();
    assert_eq!(amounts, [&json!("25000.50"), &json!("123456789012.34")]);
}

async fn custom_money_fields_store_minor_units(env: Env) {
    let c = env.company("自定义金额", "admin@cfmoney.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let def: FieldDef = serde_json::from_value(json!({
        "key": "cf_budget", "label_zh": "预算", "label_en": "Budget",
        "field_type": FieldType::Money, "indexed": true
    }))
    .expect("definition");
    app::customize::add_field(&env.app, &c.admin, ObjectKind::Contact, def)
        .await
        .expect("field");
    app::customize::index_field(&env.app, &c.admin, ObjectKind::Contact, "cf_budget")
        .await
        .expect("index");
    assert_eq!(env.run_jobs().await, 1, "the index is built by a job");
    for (name, budget) in [("甲", "12.34"), ("乙", "0.30"), ("丙", "1000")] {
        let r = api
            .post(
                "/api/v1/contacts",
                json!({"name": name, "cf_budget": budget}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let r = api
        .post(
            "/api/v1/contacts",
            json!({"name": "丁", "cf_budget": "1.005"}),
        )
        .await;
    assert_eq!(
        field_codes(&r),
        vec![("cf_budget".into(), "too_precise".into())]
    );
    // Stored as integers of fen.
    let stored: Vec<String> = match &env.app.db {
        Db::Sqlite(s) => sqlx::query_scalar(
            "SELECT CAST(json_extract(custom, '$.cf_budget') AS TEXT) FROM contacts ORDER BY name",
        )
        .fetch_all(&s.readers)
        .await
        .expect("stored"),
        Db::Postgres(p) => {
            sqlx::query_scalar("SELECT custom->>'cf_budget' FROM contacts ORDER BY name")
                .fetch_all(p)
                .await
                .expect("stored")
        }
    };
    let mut stored = stored;
    stored.sort();
    assert_eq!(stored, ["100000", "1234", "30"]);
    let page = api
        .get("/api/v1/contacts?filter=cf_budget:gt:0.3&sort=cf_budget")
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let page = page.json();
    let budgets: Vec<&Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["cf_budget"])
        .collect();
    assert_eq!(budgets, [&json!("12.34"), &json!("1000.00")]);
}

/// The statements of the money migration that rewrite stored values, run again over values
/// written the old way (cents whatever the currency, custom amounts as JSON floats).
fn conversion_statements(db: &Db) -> Vec<String> {
    let sql = match db {
        Db::Sqlite(_) => include_str!("../../../store/migrations/sqlite/0017_money.sql"),
        Db::Postgres(_) => include_str!("../../../store/migrations/postgres/0017_money.sql"),
    };
    sql.split(';')
        .map(|s| {
            s.lines()
                .filter(|l| !l.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .filter(|s| s.trim_start().starts_with("UPDATE"))
        .collect()
}

async fn stored_amounts_are_converted_by_the_migration(env: Env) {
    let c = env.company("迁移", "admin@migrate.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let account = env.account(&c.admin, "迁移客户").await;
    for (object, key) in [
        (ObjectKind::Contact, "cf_paid"),
        (ObjectKind::Opportunity, "cf_fee"),
    ] {
        let def: FieldDef = serde_json::from_value(json!({
            "key": key, "label_zh": key, "label_en": key, "field_type": FieldType::Money
        }))
        .expect("definition");
        app::customize::add_field(&env.app, &c.admin, object, def)
            .await
            .expect("field");
    }
    let contact = api
        .post(
            "/api/v1/contacts",
            json!({"name": "老数据", "cf_paid": "1"}),
        )
        .await
        .json();
    let yen = api
        .post(
            "/api/v1/opportunities",
            json!({"name": "日元", "account_id": account.id,
            "currency": "JPY", "amount": "1", "cf_fee": "1"}),
        )
        .await
        .json();
    let yuan = api
        .post(
            "/api/v1/opportunities",
            json!({"name": "人民币", "account_id": account.id,
            "currency": "CNY", "amount": "1"}),
        )
        .await
        .json();
    // As the tree before wrote them: amount in cents (¥1,234 as 123400), custom floats.
    let (contact_custom, yen_custom) = match &env.app.db {
        Db::Sqlite(_) => (
            r#"'{"cf_paid": 12.5, "cf_other": "text", "cf_flag": true, "cf_tags": ["a","b"]}'"#,
            r#"'{"cf_fee": 300.0}'"#,
        ),
        Db::Postgres(_) => (
            r#"'{"cf_paid": 12.5, "cf_other": "text", "cf_flag": true, "cf_tags": ["a","b"]}'::jsonb"#,
            r#"'{"cf_fee": 300.0}'::jsonb"#,
        ),
    };
    let id = |v: &Value| v["id"].as_str().unwrap().to_string();
    let uuid = |s: String| match &env.app.db {
        Db::Sqlite(_) => format!("x'{}'", s.replace('-', "")),
        Db::Postgres(_) => format!("'{s}'"),
    };
    execute(
        &env.app.db,
        &format!(
            "UPDATE contacts SET custom = {contact_custom} WHERE id = {}",
            uuid(id(&contact))
        ),
    )
    .await;
    execute(
        &env.app.db,
        &format!(
            "UPDATE opportunities SET amount_minor = 123400, custom = {yen_custom} WHERE id = {}",
            uuid(id(&yen))
        ),
    )
    .await;
    execute(
        &env.app.db,
        &format!(
            "UPDATE opportunities SET amount_minor = 98765 WHERE id = {}",
            uuid(id(&yuan))
        ),
    )
    .await;
    for statement in conversion_statements(&env.app.db) {
        execute(&env.app.db, &statement).await;
    }
    let read = |object: &str, v: &Value| format!("/api/v1/{object}/{}", id(v));
    let contact = api.get(&read("contacts", &contact)).await.json();
    assert_eq!(contact["cf_paid"], json!("12.50"));
    let yen = api.get(&read("opportunities", &yen)).await.json();
    assert_eq!(
        (&yen["amount"], &yen["cf_fee"]),
        (&json!("1234"), &json!("300"))
    );
    let yuan = api.get(&read("opportunities", &yuan)).await.json();
    assert_eq!(yuan["amount"], json!("987.65"));
    // Other custom values are left as they were.
    let raw: String = match &env.app.db {
        Db::Sqlite(s) => sqlx::query_scalar("SELECT custom FROM contacts")
            .fetch_one(&s.readers)
            .await
            .expect("custom"),
        Db::Postgres(p) => sqlx::query_scalar("SELECT custom::text FROM contacts")
            .fetch_one(p)
            .await
            .expect("custom"),
    };
    let raw: Value = serde_json::from_str(&raw).expect("json");
    assert_eq!(
        raw,
        json!({"cf_paid": 1250, "cf_other": "text", "cf_flag": true, "cf_tags": ["a", "b"]})
    );
}

async fn exchange_rates_sum_amounts_in_the_company_currency(env: Env) {
    let c = env.company("汇率", "admin@rates.example").await;
    let rep = env
        .user(&c, "rep@rates.example", "sales_rep", None, None)
        .await;
    let manager = env
        .user(&c, "manager@rates.example", "sales_manager", None, None)
        .await;
    let admin_api = env.api(&env.token(&c.admin).await);
    let rep_api = env.api(&env.token(&rep).await);
    let manager_api = env.api(&env.token(&manager).await);
    let rates = json!({"currency": "CNY", "rates": [
        {"currency": "USD", "valid_from": "2026-01-01", "rate": "7.1"},
        {"currency": "USD", "valid_from": "2027-01-01", "rate": 7.3},
    ]});
    for api in [&rep_api, &manager_api] {
        let r = api
            .call(
                axum::http::Method::PUT,
                "/api/v1/exchange-rates",
                Some(rates.clone()),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    }
    let r = admin_api
        .call(
            axum::http::Method::PUT,
            "/api/v1/exchange-rates",
            Some(rates.clone()),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The change is in the administration audit, old → new.
    let audit = admin_api
        .call(
            axum::http::Method::GET,
            "/api/v1/audit?object=setting",
            None,
            &[("accept-language", "en")],
        )
        .await
        .json();
    let entry = &audit["items"][0];
    assert_eq!(
        entry["text"],
        json!("Changed setting “Currency and exchange rates”"),
        "{audit}"
    );
    assert_eq!(
        entry["detail"]["changes"][0]["new"],
        json!("USD 7.1 (2026-01-01); USD 7.3 (2027-01-01)")
    );
    // Everyone reads them.
    let read = rep_api.get("/api/v1/exchange-rates").await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.json()["rates"][1]["rate"], json!("7.3"));
    // Bad lists change nothing.
    for (body, field) in [
        (
            json!({"currency": "CNY", "rates": [{"currency": "USD", "valid_from": "2026-01-01", "rate": "abc"}]}),
            "rates[0].rate",
        ),
        (
            json!({"currency": "CNY", "rates": [{"currency": "CNY", "valid_from": "2026-01-01", "rate": "1"}]}),
            "rates[0].currency",
        ),
        (
            json!({"currency": "CNY", "rates": [{"currency": "USD", "valid_from": "2026-02-30", "rate": "7"}]}),
            "rates[0].valid_from",
        ),
        (json!({"currency": "JPY", "rates": []}), "currency"),
        (json!({"currency": "CNY", "rates": [], "extra": 1}), "extra"),
    ] {
        let r = admin_api
            .call(
                axum::http::Method::PUT,
                "/api/v1/exchange-rates",
                Some(body),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(field_codes(&r)[0].0, field, "{}", r.body);
    }
    assert_eq!(
        rep_api.get("/api/v1/exchange-rates").await.json(),
        read.json()
    );

    // A rep's account with deals in three currencies: USD converts (today is 2026-11-23),
    // JPY has no rate and is named, not guessed.
    let account = env.account(&rep, "跨国客户").await;
    for (amount, currency) in [("100", "USD"), ("1000.50", "CNY"), ("5000", "JPY")] {
        let r = rep_api
            .post(
                "/api/v1/opportunities",
                json!({"name": "单", "account_id": account.id,
                "amount": amount, "currency": currency, "stage": "proposal"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let rollup = rep_api
        .get(&format!("/api/v1/accounts/{}/rollup", account.id))
        .await
        .json();
    assert_eq!(rollup["total"]["currency"], json!("CNY"));
    assert_eq!(
        rollup["total"]["open_pipeline"],
        json!("1710.50"),
        "{rollup}"
    );
    assert_eq!(rollup["total"]["unconverted_currencies"], json!(["JPY"]));
    // The same on the account's page.
    let mut browser = env.browser();
    browser.login("rep@rates.example").await;
    let page = browser.get(&format!("/accounts/{}", account.id)).await;
    page.assert_contains("1,710.50");
    page.assert_contains("JPY");
    // The administrators' page shows and edits the list; the rep may not open it.
    let mut admin_browser = env.browser();
    admin_browser.login("admin@rates.example").await;
    let page = admin_browser.get("/admin/exchange-rates").await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("7.3");
    let r = admin_browser
        .post(
            "/admin/exchange-rates/add",
            &[
                ("currency", "JPY"),
                ("valid_from", "2026-11-01"),
                ("rate", "0.048"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = admin_browser
        .post(
            "/admin/exchange-rates/add",
            &[
                ("currency", "JPY"),
                ("valid_from", "2026-11-01"),
                ("rate", "0.05"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_contains("aria-invalid");
    let rollup = rep_api
        .get(&format!("/api/v1/accounts/{}/rollup", account.id))
        .await
        .json();
    assert_eq!(
        rollup["total"]["open_pipeline"],
        json!("1950.50"),
        "{rollup}"
    );
    assert_eq!(rollup["total"]["unconverted_currencies"], json!([]));
    assert_eq!(
        browser.get("/admin/exchange-rates").await.status,
        StatusCode::FORBIDDEN
    );
    // The company currency may become another two-place currency.
    let r = admin_browser
        .post("/admin/exchange-rates/currency", &[("currency", "USD")])
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "USD has a rate into itself"
    );
}
