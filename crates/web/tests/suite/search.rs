//! Quick, global and lookup search: queries normalised as indexed names are (a company's
//! full legal name finds it), phone numbers found by any run of four or more digits, and
//! tokens of older versions rebuilt, Chinese names found by pinyin and initials and ranked —
//! through the use cases, the pages and the API.

use crate::account_fixture::ListParams;
use crate::on_both_databases;
use crate::support::Env;
use axum::http::StatusCode;
use domain::permissions::ObjectKind;
use serde_json::{json, Value};

on_both_databases!(
    full_legal_names_find_their_records_everywhere,
    phone_numbers_are_found_by_any_digit_run,
    old_search_tokens_are_rebuilt,
    pinyin_finds_chinese_names_within_scope
);

fn encode(q: &str) -> String {
    let pair = serde_urlencoded::to_string([("", q)]).unwrap();
    pair.trim_start_matches('=').to_string()
}

/// The names each object's group of the global search (API) lists for `q`.
async fn global(api: &crate::support::Api, q: &str) -> Vec<(String, Vec<String>)> {
    let r = api.get(&format!("/api/v1/search?q={}", encode(q))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let names = g["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["name"].as_str().unwrap().to_string())
                .collect();
            (g["object"].as_str().unwrap().to_string(), names)
        })
        .collect()
}

/// The names of the accounts the accounts list's quick search finds.
async fn accounts(env: &Env, actor: &app::Actor, q: &str) -> Vec<String> {
    let params = ListParams {
        q: Some(q.into()),
        sort: Some("name".into()),
        ..Default::default()
    };
    crate::account_fixture::list(&env.app, actor, &params)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|a| a.name)
        .collect()
}

/// The names of the records of `kind` the list's quick search finds.
async fn records(env: &Env, actor: &app::Actor, kind: ObjectKind, q: &str) -> Vec<String> {
    let request = app::records::ListRequest {
        q: Some(q.into()),
        sort: Some("name".into()),
        ..Default::default()
    };
    app::records::list(&env.app, actor, kind, &request)
        .await
        .unwrap()
        .records
        .iter()
        .map(|r| r.name().to_string())
        .collect()
}

/// 北京中关村科技, phone 010-62345678.
async fn account_with_phone(env: &Env, actor: &app::Actor) -> crate::account_fixture::Account {
    let input = crate::account_fixture::AccountInput {
        name: Some("北京中关村科技".into()),
        phone: Some("010-62345678".into()),
        ..Default::default()
    };
    crate::account_fixture::create(&env.app, actor, &input)
        .await
        .unwrap()
}

async fn full_legal_names_find_their_records_everywhere(env: Env) {
    let c = env.company("华南机械", "admin@a.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let huawei = env.account(&c.admin, "深圳华为技术有限公司").await;
    env.account(&c.admin, "华为终端有限公司").await;
    env.account(&c.admin, "Huawei Technologies Co., Ltd.").await;
    let r = api
        .post(
            "/api/v1/contacts",
            json!({"name": "张伟", "account_id": huawei.id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = api
        .post(
            "/api/v1/leads",
            json!({"name": "李华", "company": "深圳华为技术有限公司"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let full = "深圳华为技术有限公司";
    for rare_token_postings in [store::search::RARE_TOKEN_POSTINGS, 0] {
        store::search::set_rare_token_postings(rare_token_postings);
        // The list's quick search, as typed and in full-width, and in English.
        assert_eq!(accounts(&env, &c.admin, full).await, [full]);
        assert_eq!(accounts(&env, &c.admin, "华为技术有限公司").await, [full]);
        assert_eq!(
            accounts(&env, &c.admin, "HUAWEI TECHNOLOGIES CO., LTD.").await,
            ["Huawei Technologies Co., Ltd."]
        );
        assert_eq!(
            records(&env, &c.admin, ObjectKind::Lead, full).await,
            ["李华"]
        );
    }
    store::search::set_rare_token_postings(store::search::RARE_TOKEN_POSTINGS);
    // The global search, through the API and the page.
    let groups = global(&api, full).await;
    assert_eq!(groups[0], ("account".to_string(), vec![full.to_string()]));
    assert_eq!(groups[2], ("lead".to_string(), vec!["李华".to_string()]));
    let mut browser = env.browser();
    browser.login("admin@a.example").await;
    let page = browser.get(&format!("/search?q={}", encode(full))).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains(&format!("href=\"/accounts/{}\"", huawei.id));
    // The lists' pages and the API.
    let page = browser.get(&format!("/accounts?q={}", encode(full))).await;
    page.assert_contains(&format!("href=\"/accounts/{}\"", huawei.id));
    let r = api
        .get(&format!("/api/v1/accounts?q={}", encode(full)))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let items: Vec<Value> = r.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1, "{}", r.body);
    assert_eq!(items[0]["name"], full);
    let r = api.get(&format!("/api/v1/leads?q={}", encode(full))).await;
    assert_eq!(r.json()["items"].as_array().unwrap().len(), 1, "{}", r.body);
    // Lookups: picking an account fills the field with its full name, and searching that
    // name again (as the lookup does when the field gets the focus) offers the account.
    for path in [
        "/accounts/lookup?field=parent_id&q=",
        "/accounts/lookup?field=account_id&q=",
    ] {
        let page = browser.get_htmx(&format!("{path}{}", encode(full))).await;
        assert_eq!(page.status, StatusCode::OK);
        page.assert_contains(&format!("data-pick-id=\"{}\"", huawei.id));
        assert!(!page.body.contains("无匹配结果"), "{}", page.body);
    }
    let page = browser
        .get_htmx(&format!(
            "/contacts/lookup?field=contact_id&q={}",
            encode("张伟")
        ))
        .await;
    page.assert_contains("张伟");
    // A legal-form suffix alone still finds nothing.
    assert!(accounts(&env, &c.admin, "有限公司").await.is_empty());
}

async fn phone_numbers_are_found_by_any_digit_run(env: Env) {
    let c = env.company("华南机械", "admin@a.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let account = account_with_phone(&env, &c.admin).await;
    assert_eq!(account.phone.as_deref(), Some("+86 10 6234 5678"));
    env.account(&c.admin, "深圳华为技术有限公司").await;
    for (path, body) in [
        (
            "/api/v1/contacts",
            json!({"name": "张伟", "account_id": account.id, "mobile": "+86 138 0013 8000"}),
        ),
        (
            "/api/v1/contacts",
            json!({"name": "王芳", "account_id": account.id, "mobile": "13912345678"}),
        ),
        (
            "/api/v1/leads",
            json!({"name": "李华", "company": "华为终端", "mobile": "138 0013 8000"}),
        ),
    ] {
        let r = api.post(path, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    for rare_token_postings in [store::search::RARE_TOKEN_POSTINGS, 0] {
        store::search::set_rare_token_postings(rare_token_postings);
        for q in [
            "13800138000",
            "+8613800138000",
            "+86 138 0013 8000",
            "138-0013-8000",
            "138 0013",
            "0013 8000",
            "00138000",
            "0013",
        ] {
            assert_eq!(
                records(&env, &c.admin, ObjectKind::Contact, q).await,
                ["张伟"],
                "{q}"
            );
            assert_eq!(
                records(&env, &c.admin, ObjectKind::Lead, q).await,
                ["李华"],
                "{q}"
            );
        }
        assert_eq!(
            records(&env, &c.admin, ObjectKind::Contact, "+86 139 1234 5678").await,
            ["王芳"]
        );
        assert!(records(&env, &c.admin, ObjectKind::Contact, "13800138009")
            .await
            .is_empty());
        // The account's phone, as dialled at home, from abroad or in part.
        for q in [
            "010-62345678",
            "+86 10 6234 5678",
            "62345678",
            "1062 3456",
            "5678",
        ] {
            assert_eq!(accounts(&env, &c.admin, q).await, ["北京中关村科技"], "{q}");
        }
        assert!(accounts(&env, &c.admin, "62345679").await.is_empty());
    }
    store::search::set_rare_token_postings(store::search::RARE_TOKEN_POSTINGS);
    let groups = global(&api, "13800138000").await;
    assert_eq!(groups[1], ("contact".to_string(), vec!["张伟".to_string()]));
    assert_eq!(groups[2], ("lead".to_string(), vec!["李华".to_string()]));
    let groups = global(&api, "6234 5678").await;
    assert_eq!(
        groups[0],
        ("account".to_string(), vec!["北京中关村科技".to_string()])
    );
    // A changed phone number is found by its new digits only.
    let mut edit = account.fields().to_input();
    edit.phone = Some("021-55556666".into());
    crate::account_fixture::update(&env.app, &c.admin, account.id, account.version, &edit)
        .await
        .unwrap();
    assert!(accounts(&env, &c.admin, "62345678").await.is_empty());
    assert_eq!(
        accounts(&env, &c.admin, "5555 6666").await,
        ["北京中关村科技"]
    );
}

async fn old_search_tokens_are_rebuilt(env: Env) {
    let c = env.company("华南机械", "admin@a.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let account = account_with_phone(&env, &c.admin).await;
    let r = api
        .post(
            "/api/v1/contacts",
            json!({"name": "张伟", "account_id": account.id, "mobile": "+86 138 0013 8000"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let contact: uuid::Uuid = r.json()["id"].as_str().unwrap().parse().unwrap();
    // The tokens as version 1 wrote them: the account's name only, the mobile number's groups
    // as words.
    let mut tx = env.app.db.begin().await.unwrap();
    store::search::index_record(
        &mut tx,
        c.tenant_id,
        domain::permissions::ObjectKind::Account,
        account.id,
        &[(&account.name, false)],
    )
    .await
    .unwrap();
    store::search::index_record(
        &mut tx,
        c.tenant_id,
        domain::permissions::ObjectKind::Contact,
        contact,
        &[("张伟", false), ("+86 138 0013 8000", false)],
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let db = &env.app.db;
    let mut tx = db.begin().await.unwrap();
    store::reindex::set_tokens_version(&mut tx, 1)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(records(&env, &c.admin, ObjectKind::Contact, "13800138000")
        .await
        .is_empty());
    assert!(accounts(&env, &c.admin, "62345678").await.is_empty());

    assert_eq!(
        store::reindex::rebuild_tokens(db, chrono::Utc::now())
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store::reindex::tokens_version(db).await.unwrap(),
        store::reindex::TOKENS_VERSION
    );
    assert_eq!(
        records(&env, &c.admin, ObjectKind::Contact, "13800138000").await,
        ["张伟"]
    );
    assert_eq!(
        records(&env, &c.admin, ObjectKind::Contact, "张伟").await,
        ["张伟"]
    );
    assert_eq!(
        accounts(&env, &c.admin, "62345678").await,
        ["北京中关村科技"]
    );
    assert_eq!(accounts(&env, &c.admin, "中关村").await, ["北京中关村科技"]);
    // Current tokens are left alone.
    assert_eq!(
        store::reindex::rebuild_tokens(db, chrono::Utc::now())
            .await
            .unwrap(),
        0
    );
}

async fn pinyin_finds_chinese_names_within_scope(env: Env) {
    let c = env.company("华南机械", "admin@a.example").await;
    let crate::support::Teams {
        manager,
        rep,
        other,
    } = env.two_teams(&c).await;
    let (rep_id, other_id) = (rep.id().to_string(), other.id().to_string());
    let admin_api = env.api(&env.token(&c.admin).await);
    // 华为 is the oldest account: ranking, not recency, puts it first for `huawei`.
    for (name, owner) in [
        ("华为", &rep_id),
        ("中国移动通信集团有限公司", &rep_id),
        ("深圳华为技术有限公司", &rep_id),
        ("重庆钢铁股份有限公司", &other_id),
    ] {
        let r = admin_api
            .post("/api/v1/accounts", json!({"name": name, "owner_id": owner}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        env.clock.advance(chrono::Duration::minutes(1));
    }
    for (name, owner) in [("张三", &rep_id), ("张珊", &other_id)] {
        let r = admin_api
            .post("/api/v1/contacts", json!({"name": name, "owner_id": owner}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let rep_api = env.api(&env.token(&rep).await);
    let manager_api = env.api(&env.token(&manager).await);
    let group = |groups: &[(String, Vec<String>)], object: &str| -> Vec<String> {
        groups
            .iter()
            .find(|(o, _)| o == object)
            .map(|(_, names)| names.clone())
            .unwrap_or_default()
    };
    let rep_actor = env.actor(c.tenant_id, rep.id()).await;
    // Both plans — a rare term's postings first, or each row probed — find the same records.
    for rare_token_postings in [store::search::RARE_TOKEN_POSTINGS, 0] {
        store::search::set_rare_token_postings(rare_token_postings);
        let found = global(&rep_api, "zgyd").await;
        assert_eq!(group(&found, "account"), ["中国移动通信集团有限公司"]);
        let found = global(&rep_api, "huawei").await;
        assert_eq!(
            group(&found, "account"),
            ["华为", "深圳华为技术有限公司"],
            "the whole name first, then the newest"
        );
        assert_eq!(
            group(&global(&rep_api, "huaw").await, "account").len(),
            2,
            "found as the user types"
        );
        // The rep finds their own 张三, never the other rep's 张珊 nor their account.
        assert_eq!(group(&global(&rep_api, "zs").await, "contact"), ["张三"]);
        assert!(group(&global(&rep_api, "chongqing").await, "account").is_empty());
        assert_eq!(
            records(&env, &rep_actor, ObjectKind::Contact, "zhangsan").await,
            ["张三"]
        );
        // Their manager sees the rep's records, not the other department's.
        assert_eq!(
            group(&global(&manager_api, "zs").await, "contact"),
            ["张三"]
        );
        let admin = global(&admin_api, "zs").await;
        let mut both = group(&admin, "contact");
        both.sort();
        assert_eq!(both, ["张三", "张珊"]);
        assert_eq!(
            group(&global(&admin_api, "cqgt").await, "account"),
            ["重庆钢铁股份有限公司"],
            "a first character of two readings (重 zhong/chong)"
        );
        assert_eq!(
            accounts(&env, &c.admin, "shenzhen huawei").await,
            ["深圳华为技术有限公司"]
        );
    }
    store::search::set_rare_token_postings(store::search::RARE_TOKEN_POSTINGS);

    // The page lists what the API does.
    let mut browser = env.browser();
    browser.login("rep@a.example").await;
    let page = browser.get("/search?q=zgyd").await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("中国移动通信集团有限公司");
    let page = browser.get("/contacts?q=zs").await;
    page.assert_contains("张三");
    assert!(!page.body.contains("张珊"));
}

/// A word of letters is a range of tokens. Probed row by row, the range is read from the
/// record's own tokens (its index by record), not by walking the range's postings for the
/// record; as the driver, the range's records are read once each from the token index. The
/// statements are those of a quick search of accounts and of contacts on SQLite.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefix_terms_read_the_right_index_on_sqlite() {
    crate::support::run(crate::support::Backend::Sqlite, |env: Env| async move {
        let c = env.company("华南机械", "admin@a.example").await;
        let mixed = domain::search::query_tokens("huawei 华为");
        let word = domain::search::query_tokens("huawei");
        for kind in [ObjectKind::Account, ObjectKind::Contact] {
            let spec = domain::objects::spec(kind).expect("record object");
            let sort = spec.field("updated_at").expect("updated_at");
            let record_index = match kind {
                ObjectKind::Account => "(tenant_id=? AND account_id=?)",
                _ => "(tenant_id=? AND object=? AND record_id=?)",
            };
            for (rare_token_postings, terms) in [
                (0, &mixed),
                (store::search::RARE_TOKEN_POSTINGS, &mixed),
                (store::search::RARE_TOKEN_POSTINGS, &word),
            ] {
                store::search::set_rare_token_postings(rare_token_postings);
                let query = store::records::ListQuery {
                    conditions: &[],
                    related: None,
                    search_tokens: terms,
                    sort,
                    descending: true,
                    after: None,
                    limit: 10,
                };
                let mut tx = env.app.db.begin_read().await.expect("tx");
                let statement =
                    store::records::list_statement(&mut tx, &c.admin.principal, spec, &query)
                        .await
                        .expect("statement");
                let plan = store::records::explain(&mut tx, &statement)
                    .await
                    .expect("explain");
                tx.commit().await.expect("commit");
                let probes_by_record = plan
                    .iter()
                    .any(|p| p.contains("SEARCH x USING") && p.contains(record_index));
                let range_by_token = plan.iter().any(|p| p.contains("token>? AND token<?"));
                assert!(
                    !plan.iter().any(|p| p.starts_with("SCAN x")),
                    "{kind:?}: {plan:?}"
                );
                if terms == &word && rare_token_postings > 0 {
                    // The range drives: its records read once each from the token index,
                    // then fetched by key.
                    assert!(range_by_token, "{kind:?} driven by the range: {plan:?}");
                    assert!(
                        !plan.iter().any(|p| p.starts_with("SCAN t")),
                        "{kind:?}: {plan:?}"
                    );
                } else {
                    // No driver, or the bigram 华为 (no postings) drives: the range is probed.
                    assert!(probes_by_record, "{kind:?} probed per row: {plan:?}");
                }
            }
        }
        store::search::set_rare_token_postings(store::search::RARE_TOKEN_POSTINGS);
    })
    .await
}
