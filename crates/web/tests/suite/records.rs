//! Contacts, leads, opportunities and activities: CRUD, validation, data scope, concurrency,
//! custom fields, saved views, roll-ups, the 360° stream and My day — through the API, the
//! pages and the use cases, on both databases.

use crate::on_both_databases;
use crate::support::field_codes;
use crate::support::{Company, Env};
use axum::http::{header, Method, StatusCode};
use serde_json::{json, Value};

on_both_databases!(
    contacts_crud_validation_and_concurrency,
    records_respect_data_scope,
    opportunity_stages_roll_ups_and_last_deal,
    activities_check_in_complete_postpone_follow_up,
    account_timeline_collects_activities_opportunities_contacts_and_fields,
    custom_fields_behave_like_standard_fields,
    list_filters_refuse_bad_input,
    saved_and_builtin_views,
    record_pages_forms_and_my_day,
    relationships_on_both_sides,
    accounts_have_custom_fields_too,
    field_access_hides_and_locks_fields_everywhere,
    global_search_finds_every_object_within_scope
);

async fn field_access_hides_and_locks_fields_everywhere(env: Env) {
    let (c, admin_api, account) = setup(&env).await;
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    let rep_role = env.role_id(&c, "sales_rep").await;
    // The administrator limits the rep role on contacts: mobile hidden, title read-only.
    let mut admin = env.browser();
    admin.login("admin@a.example").await;
    let page = admin.get("/admin/fields/contacts").await;
    page.assert_contains(&format!("access.{rep_role}.mobile"));
    let hidden = format!("access.{rep_role}.mobile");
    let read_only = format!("access.{rep_role}.title");
    let r = admin
        .post(
            "/admin/fields/contacts/access",
            &[
                (hidden.as_str(), "hidden"),
                (read_only.as_str(), "read_only"),
            ],
        )
        .await;
    assert_eq!(
        r.location(),
        "/admin/fields/contacts?notice=access_saved#access",
        "{}",
        r.body
    );
    let bad = format!("access.{rep_role}.name");
    let r = admin
        .post("/admin/fields/contacts/access", &[(bad.as_str(), "hidden")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let rep = env.actor(c.tenant_id, rep.id()).await;
    let rep_api = env.api(&env.token(&rep).await);
    let rep_account = env.account(&rep, "代表的客户").await;
    // Writing a hidden or read-only field is refused.
    let r = rep_api
        .post(
            "/api/v1/contacts",
            json!({"name": "甲", "account_id": rep_account.id, "mobile": "13800138000"}),
        )
        .await;
    assert_eq!(
        field_codes(&r),
        vec![("mobile".to_string(), "unknown_field".to_string())]
    );
    let r = rep_api
        .post(
            "/api/v1/contacts",
            json!({"name": "甲", "account_id": rep_account.id, "title": "总监"}),
        )
        .await;
    assert_eq!(
        field_codes(&r),
        vec![("title".to_string(), "read_only".to_string())]
    );
    let r = rep_api
        .post(
            "/api/v1/contacts",
            json!({"name": "甲", "account_id": rep_account.id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = id_of(&r.json());
    // The administrator fills both; the rep sees the title but never the mobile.
    let r = admin_api
        .patch(
            &format!("/api/v1/contacts/{id}"),
            json!({"mobile": "13800138000", "title": "总监"}),
            "\"1\"",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let seen = rep_api.get(&format!("/api/v1/contacts/{id}")).await.json();
    assert_eq!(seen["title"], "总监");
    assert!(seen.get("mobile").is_none(), "{seen}");
    let listed = rep_api.get("/api/v1/contacts").await.json();
    assert!(listed["items"][0].get("mobile").is_none());
    let r = rep_api
        .get("/api/v1/contacts?filter=mobile:not_empty")
        .await;
    assert_eq!(
        field_codes(&r),
        vec![("filter.mobile".to_string(), "unknown_field".to_string())]
    );
    let h = rep_api
        .get(&format!("/api/v1/contacts/{id}/history"))
        .await
        .json();
    assert!(h["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["field"] != "mobile"));
    assert!(h["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["field"] == "title"));
    let doc = rep_api.get("/api/v1/openapi.json").await.json();
    assert!(doc["components"]["schemas"]["Contact"]["properties"]
        .get("mobile")
        .is_none());
    let mut b = env.browser();
    b.login("rep@a.example").await;
    let page = b.get(&format!("/contacts/{id}")).await;
    page.assert_contains("总监");
    assert!(!page.body.contains("138 0013 8000"));
    let form = b.get(&format!("/contacts/{id}/edit")).await;
    assert!(!form.body.contains("f-mobile") && !form.body.contains("f-title"));
    // The rep's own edit keeps the hidden value.
    let r = b
        .post(
            &format!("/contacts/{id}"),
            &[("name", "甲乙"), ("version", "2")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        admin_api
            .get(&format!("/api/v1/contacts/{id}"))
            .await
            .json()["mobile"],
        "+86 138 0013 8000"
    );
    // Accounts: custom and standard fields take limits too (not the type, name or owner).
    let r = admin_api
        .post(
            "/api/v1/accounts/fields",
            json!({"key": "credit_limit", "label_zh": "授信额度", "field_type": "money"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let limit = format!("access.{rep_role}.credit_limit");
    let grade = format!("access.{rep_role}.grade");
    let industry = format!("access.{rep_role}.industry");
    let kind = format!("access.{rep_role}.account_type");
    let r = admin
        .post(
            "/admin/fields/accounts/access",
            &[(kind.as_str(), "hidden")],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the type stays visible"
    );
    let r = admin
        .post(
            "/admin/fields/accounts/access",
            &[
                (limit.as_str(), "hidden"),
                (grade.as_str(), "hidden"),
                (industry.as_str(), "read_only"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = admin_api
        .patch(
            &format!("/api/v1/accounts/{}", rep_account.id),
            json!({"credit_limit": "50000", "grade": "A", "industry": "通信"}),
            "\"1\"",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rep = env.actor(c.tenant_id, rep.id()).await;
    let rep_api = env.api(&env.token(&rep).await);
    let seen = rep_api
        .get(&format!("/api/v1/accounts/{}", rep_account.id))
        .await
        .json();
    assert!(seen.get("credit_limit").is_none(), "{seen}");
    let h = rep_api
        .get(&format!("/api/v1/accounts/{}/history", rep_account.id))
        .await
        .json();
    assert!(
        h.as_array()
            .map(|a| a.iter().all(|i| i["field"] != "credit_limit"))
            .unwrap_or(true)
            && h["items"]
                .as_array()
                .map(|a| a.iter().all(|i| i["field"] != "credit_limit"))
                .unwrap_or(true),
        "{h}"
    );
    let t = rep_api
        .get(&format!("/api/v1/accounts/{}/timeline", rep_account.id))
        .await
        .json();
    assert!(!t.to_string().contains("50000"), "{t}");
    assert_eq!(seen["grade"], Value::Null);
    assert_eq!(seen["industry"], "通信");
    let path = format!("/api/v1/accounts/{}", rep_account.id);
    let r = rep_api.patch(&path, json!({"grade": "B"}), "\"2\"").await;
    assert_eq!(
        field_codes(&r),
        vec![("grade".to_string(), "unknown_field".to_string())]
    );
    let r = rep_api
        .patch(&path, json!({"industry": "制造"}), "\"2\"")
        .await;
    assert_eq!(
        field_codes(&r),
        vec![("industry".to_string(), "read_only".to_string())]
    );
    let r = rep_api.get("/api/v1/accounts?grade=A").await;
    assert_eq!(
        field_codes(&r),
        vec![("grade".to_string(), "unknown_field".to_string())]
    );
    // The rep's pages leave the hidden grade out, show the industry without a control, and a
    // save through the form keeps both stored values.
    let page = b.get(&format!("/accounts/{}", rep_account.id)).await;
    page.assert_contains("通信");
    assert!(!page.body.contains("A 重点"));
    let form = b.get(&format!("/accounts/{}/edit", rep_account.id)).await;
    assert!(!form.body.contains("name=\"grade\"") && !form.body.contains("name=\"industry\""));
    let r = b
        .post(
            &format!("/accounts/{}", rep_account.id),
            &[
                ("name", "代表的客户2"),
                ("account_type", "customer"),
                ("version", "2"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let stored = admin_api.get(&path).await.json();
    assert_eq!(
        (
            stored["name"].as_str(),
            stored["grade"].as_str(),
            stored["industry"].as_str()
        ),
        (Some("代表的客户2"), Some("A"), Some("通信"))
    );
    assert!(!b.get("/accounts").await.body.contains("name=\"grade\""));
    // Editing the role in the role form keeps the field limits.
    let _ = account;
    let roles = app::org::list_roles(&env.app, &c.admin).await.unwrap();
    let role = roles.iter().find(|r| r.id == rep_role).unwrap();
    assert_eq!(
        role.permissions
            .0
            .field_access(domain::permissions::ObjectKind::Contact, "mobile"),
        Some(domain::permissions::FieldAccess::Hidden)
    );
}

async fn accounts_have_custom_fields_too(env: Env) {
    let (c, api, account) = setup(&env).await;
    let r = api.post("/api/v1/accounts/fields", json!({"key": "employees", "label_zh": "员工人数", "label_en": "Employees", "field_type": "number", "min": "0", "indexed": true})).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    // Filtering and sorting on it need its index, built by a job.
    assert_eq!(env.run_jobs().await, 1);
    let r = api
        .post(
            "/api/v1/accounts",
            json!({"name": "比亚迪", "employees": 570000}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["employees"], json!(570000.0));
    let r = api
        .post(
            "/api/v1/accounts",
            json!({"name": "坏", "employees": -1, "grade": "Z"}),
        )
        .await;
    let codes = field_codes(&r);
    assert!(
        codes.contains(&("employees".into(), "below_min".into()))
            && codes.contains(&("grade".into(), "invalid_choice".into())),
        "{codes:?}"
    );
    // A change of a custom field alone moves the version and is in the history and stream.
    let r = api
        .patch(
            &format!("/api/v1/accounts/{account}"),
            json!({"employees": 207000}),
            "\"1\"",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.headers[header::ETAG], "\"2\"");
    let r = api
        .patch(
            &format!("/api/v1/accounts/{account}"),
            json!({"employees": 1}),
            "\"1\"",
        )
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    let h = api
        .get(&format!("/api/v1/accounts/{account}/history"))
        .await
        .json();
    assert!(
        h["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["field"] == "employees" && i["new_value"] == "207000"),
        "{h}"
    );
    let t = api
        .get(&format!("/api/v1/accounts/{account}/timeline?kind=field"))
        .await
        .json();
    assert_eq!(t["items"].as_array().unwrap().len(), 1);
    // Lists filter and sort on it (the record engine reads accounts too).
    let list = app::records::list(
        &env.app,
        &c.admin,
        domain::permissions::ObjectKind::Account,
        &app::records::ListRequest {
            filters: vec![domain::views::FilterSpec {
                field: "employees".into(),
                op: "gt".into(),
                values: vec!["300000".into()],
            }],
            sort: Some("-employees".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        list.records
            .iter()
            .map(|r| r.name().to_string())
            .collect::<Vec<_>>(),
        vec!["比亚迪".to_string()]
    );
    // The pages show and edit it.
    let mut b = env.browser();
    b.login("admin@a.example").await;
    b.get(&format!("/accounts/{account}"))
        .await
        .assert_contains("员工人数");
    b.get(&format!("/accounts/{account}/edit"))
        .await
        .assert_contains("f-employees");
    let r = b
        .post(
            &format!("/accounts/{account}"),
            &[
                ("name", "深圳华为技术有限公司"),
                ("account_type", "customer"),
                ("employees", "abc"),
                ("version", "2"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = b
        .post(
            &format!("/accounts/{account}"),
            &[
                ("name", "深圳华为技术有限公司"),
                ("account_type", "customer"),
                ("employees", "208000"),
                ("version", "2"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        api.get(&format!("/api/v1/accounts/{account}")).await.json()["employees"],
        json!(208000.0)
    );
    // The accounts list opens views and the filter builder on any field, custom ones too.
    let list = b
        .get("/accounts?view=all&edited=1&ff=employees&fo=gt&fv=300000")
        .await;
    assert_eq!(list.status, StatusCode::OK);
    list.assert_contains("比亚迪");
    assert!(!list.body.contains("深圳华为技术有限公司"));
    let list = b.get("/accounts?view=not_contacted_30").await;
    list.assert_contains("深圳华为技术有限公司");
    let r = b
        .post(
            "/accounts/views",
            &[
                ("name", "大客户"),
                ("ff", "employees"),
                ("fo", "gt"),
                ("fv", "100000"),
                ("col", "employees"),
                ("sort", "-employees"),
            ],
        )
        .await;
    assert!(
        r.location().starts_with("/accounts?view="),
        "{} {}",
        r.status,
        r.body
    );
    let page = b.get(&r.location()).await;
    page.assert_contains("比亚迪");
    page.assert_contains("570000");
    b.get("/accounts").await.assert_contains("大客户");
    let bad = b
        .get("/accounts?view=all&edited=1&ff=employees&fo=contains&fv=x")
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    bad.assert_contains("员工人数");
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

async fn setup(env: &Env) -> (Company, crate::support::Api, String) {
    let c = env.company("Acme", "admin@a.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let account = env.account(&c.admin, "深圳华为技术有限公司").await;
    (c, api, account.id.to_string())
}

/// Asserts that GET `path` is refused (422) with exactly one error: `code` on `field`.
async fn assert_refused(api: &crate::support::Api, path: &str, field: &str, code: &str) {
    let r = api.get(path).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{path}: {}",
        r.body
    );
    assert_eq!(
        field_codes(&r),
        vec![(field.to_string(), code.to_string())],
        "{path}"
    );
}

async fn contacts_crud_validation_and_concurrency(env: Env) {
    let (_c, api, account) = setup(&env).await;
    let r = api
        .post("/api/v1/contacts", json!({"name": "张伟", "account_id": account, "mobile": "138 0013 8000", "customer_role": "decision_maker", "birthday": "1980-05-04"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.headers[header::ETAG], "\"1\"");
    let contact = r.json();
    let id = id_of(&contact);
    assert_eq!(r.location(), format!("/api/v1/contacts/{id}"));
    assert_eq!(contact["mobile"], "+86 138 0013 8000");
    assert_eq!(contact["names"][&account], "深圳华为技术有限公司");

    // Bad input: every problem is reported and nothing is created.
    let r = api
        .post("/api/v1/contacts", json!({"title": "x", "nope": 1, "customer_role": "king", "email": "not-mail", "account_id": "00000000-0000-0000-0000-000000000000", "birthday": {"y": 1}}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let codes = field_codes(&r);
    assert!(
        codes.contains(&("birthday".into(), "wrong_type".into())),
        "{codes:?}"
    );
    let r = api
        .post("/api/v1/contacts", json!({"title": "x", "nope": 1, "customer_role": "king", "email": "not-mail", "last_contacted_at": "2026-01-01T00:00:00Z"}))
        .await;
    let codes = field_codes(&r);
    for expected in [
        ("name", "required"),
        ("nope", "unknown_field"),
        ("customer_role", "invalid_choice"),
        ("email", "invalid_email"),
        ("last_contacted_at", "read_only"),
    ] {
        assert!(
            codes.contains(&(expected.0.into(), expected.1.into())),
            "{expected:?} in {codes:?}"
        );
    }
    let r = api
        .post(
            "/api/v1/contacts",
            json!({"name": "李", "account_id": "01a20a99-b37f-7702-97a7-92b00a5593aa"}),
        )
        .await;
    assert_eq!(
        field_codes(&r),
        vec![("account_id".to_string(), "invalid_reference".to_string())]
    );
    let list = api.get("/api/v1/contacts").await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    // PATCH: If-Match required, stale refused, absent fields kept, null clears.
    let path = format!("/api/v1/contacts/{id}");
    let r = api
        .call(Method::PATCH, &path, Some(json!({"title": "CTO"})), &[])
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_REQUIRED);
    let r = api
        .patch(&path, json!({"title": "CTO", "birthday": null}), "\"1\"")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.headers[header::ETAG], "\"2\"");
    assert_eq!(r.json()["title"], "CTO");
    assert_eq!(r.json()["birthday"], Value::Null);
    assert_eq!(r.json()["mobile"], "+86 138 0013 8000");
    let r = api.patch(&path, json!({"title": "Lost"}), "\"1\"").await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(api.get(&path).await.json()["title"], "CTO");

    // History keeps readable values.
    let h = api.get(&format!("{path}/history")).await.json();
    let items = h["items"].as_array().unwrap();
    assert!(items.iter().any(|i| i["field"] == "title"
        && i["new_value"] == "CTO"
        && i["old_value"] == Value::Null));

    // A contact an opportunity points at cannot be deleted; once free it can.
    let opp = api
        .post(
            "/api/v1/opportunities",
            json!({"name": "核心网", "account_id": account, "contact_id": id}),
        )
        .await;
    assert_eq!(opp.status, StatusCode::CREATED, "{}", opp.body);
    let r = api
        .call(Method::DELETE, &path, None, &[("if-match", "\"2\"")])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.json()["error"]["code"], "still_referenced");
    let opp = opp.json();
    let r = api
        .patch(
            &format!("/api/v1/opportunities/{}", id_of(&opp)),
            json!({"contact_id": null}),
            "\"1\"",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = api
        .call(Method::DELETE, &path, None, &[("if-match", "\"1\"")])
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    let r = api
        .call(Method::DELETE, &path, None, &[("if-match", "\"2\"")])
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(api.get(&path).await.status, StatusCode::NOT_FOUND);
    // The account cannot be deleted while an opportunity refers to it.
    let r = api
        .call(
            Method::DELETE,
            &format!("/api/v1/accounts/{account}"),
            None,
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(r.json()["error"]["code"], "still_referenced", "{}", r.body);
}

async fn records_respect_data_scope(env: Env) {
    let (c, admin_api, _) = setup(&env).await;
    let rep1 = env
        .user(&c, "rep1@a.example", "sales_rep", None, None)
        .await;
    let rep2 = env
        .user(&c, "rep2@a.example", "sales_rep", None, None)
        .await;
    let api1 = env.api(&env.token(&rep1).await);
    let api2 = env.api(&env.token(&rep2).await);
    let acc1 = env.account(&rep1, "一号客户").await;
    let acc2 = env.account(&rep2, "二号客户").await;
    let mine = api1
        .post(
            "/api/v1/contacts",
            json!({"name": "甲", "account_id": acc1.id}),
        )
        .await;
    assert_eq!(mine.status, StatusCode::CREATED, "{}", mine.body);
    let mine = id_of(&mine.json());
    let theirs = id_of(
        &api2
            .post(
                "/api/v1/contacts",
                json!({"name": "乙", "account_id": acc2.id}),
            )
            .await
            .json(),
    );

    // Out of scope is not found — API, pages, lists, search, lookups.
    assert_eq!(
        api1.get(&format!("/api/v1/contacts/{theirs}")).await.status,
        StatusCode::NOT_FOUND
    );
    let r = api1
        .patch(
            &format!("/api/v1/contacts/{theirs}"),
            json!({"name": "x"}),
            "\"1\"",
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let names: Vec<String> = api1.get("/api/v1/contacts").await.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, vec!["甲".to_string()]);
    assert!(api1.get("/api/v1/contacts?q=乙").await.json()["items"]
        .as_array()
        .unwrap()
        .is_empty());
    // A lookup to a record one cannot see is refused.
    let r = api1
        .post(
            "/api/v1/opportunities",
            json!({"name": "偷单", "account_id": acc2.id}),
        )
        .await;
    assert_eq!(
        field_codes(&r),
        vec![("account_id".to_string(), "invalid_reference".to_string())]
    );
    let mut b = env.browser();
    b.login("rep1@a.example").await;
    assert_eq!(
        b.get(&format!("/contacts/{theirs}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        b.get(&format!("/contacts/{mine}")).await.status,
        StatusCode::OK
    );
    let lookup = b.get("/contacts/lookup?q=乙&field=contact_id").await;
    assert!(!lookup.body.contains(&theirs));
    // A rep may not delete (the default role has no delete) — 403, and the record stays.
    let r = api1
        .call(
            Method::DELETE,
            &format!("/api/v1/contacts/{mine}"),
            None,
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The administrator sees both; another company sees none.
    assert_eq!(
        admin_api.get("/api/v1/contacts").await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let other = env.company("Other", "admin@b.example").await;
    let other_api = env.api(&env.token(&other.admin).await);
    assert_eq!(
        other_api
            .get(&format!("/api/v1/contacts/{mine}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert!(other_api.get("/api/v1/contacts").await.json()["items"]
        .as_array()
        .unwrap()
        .is_empty());
}

async fn opportunity_stages_roll_ups_and_last_deal(env: Env) {
    let (c, api, parent) = setup(&env).await;
    let child = api
        .post(
            "/api/v1/accounts",
            json!({"name": "华为终端", "parent_id": parent}),
        )
        .await;
    assert_eq!(child.status, StatusCode::CREATED, "{}", child.body);
    let child = id_of(&child.json());
    let o1 = api
        .post(
            "/api/v1/opportunities",
            json!({"name": "A", "account_id": parent, "amount": 100000, "stage": "proposal"}),
        )
        .await
        .json();
    assert_eq!(o1["win_rate"], json!(50.0));
    assert_eq!(o1["currency"], "CNY");
    let o2 = api.post("/api/v1/opportunities", json!({"name": "B", "account_id": child, "amount": "25,000.50", "stage": "negotiation", "win_rate": 60})).await.json();
    assert_eq!(o2["win_rate"], json!(60.0), "an explicit win rate is kept");
    let r = api
        .post(
            "/api/v1/opportunities",
            json!({"name": "C", "account_id": child, "amount": 1.234}),
        )
        .await;
    assert_eq!(
        field_codes(&r),
        vec![("amount".to_string(), "too_precise".to_string())]
    );
    let r = api
        .post(
            "/api/v1/opportunities",
            json!({"name": "C", "account_id": child, "stage": "dreaming"}),
        )
        .await;
    assert_eq!(
        field_codes(&r),
        vec![("stage".to_string(), "invalid_choice".to_string())]
    );

    let rollup = api
        .get(&format!("/api/v1/accounts/{parent}/rollup"))
        .await
        .json();
    assert_eq!(rollup["child_accounts"], 1);
    assert_eq!(rollup["amounts"][0]["open_pipeline"], json!("125000.50"));
    assert_eq!(rollup["amounts"][0]["won_amount"], json!("0.00"));

    // Winning: stage sets win rate 100, closes today and moves the account's last deal date.
    let r = api
        .patch(
            &format!("/api/v1/opportunities/{}", id_of(&o2)),
            json!({"stage": "won", "win_reason": "product_fit", "close_lessons": "需求匹配"}),
            "\"1\"",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["win_rate"], json!(100.0));
    let today = env
        .app
        .now()
        .with_timezone(&domain::fields::china_time())
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(r.json()["closed_on"], today);
    let rollup = api
        .get(&format!("/api/v1/accounts/{parent}/rollup"))
        .await
        .json();
    assert_eq!(rollup["amounts"][0]["open_pipeline"], json!("100000.00"));
    assert_eq!(rollup["amounts"][0]["won_amount"], json!("25000.50"));
    let view = app::records::get(
        &env.app,
        &c.admin,
        domain::permissions::ObjectKind::Account,
        child.parse().unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(
        app::records::plain_text(view.record.values.get("last_deal_at").unwrap()),
        today
    );
    // Reopening clears the close date.
    let r = api
        .patch(
            &format!("/api/v1/opportunities/{}", id_of(&o2)),
            json!({"stage": "needs"}),
            "\"2\"",
        )
        .await;
    assert_eq!(r.json()["closed_on"], Value::Null);
    assert_eq!(r.json()["win_rate"], json!(30.0));

    // The primary contact must belong to the opportunity's account.
    let contact = api
        .post(
            "/api/v1/contacts",
            json!({"name": "王", "account_id": child}),
        )
        .await
        .json();
    let r = api
        .post(
            "/api/v1/opportunities",
            json!({"name": "D", "account_id": parent, "contact_id": id_of(&contact)}),
        )
        .await;
    assert_eq!(
        field_codes(&r),
        vec![(
            "contact_id".to_string(),
            "contact_not_of_account".to_string()
        )]
    );

    // Roll-ups count only opportunities the reader may see.
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    let rep_api = env.api(&env.token(&rep).await);
    let r = rep_api
        .get(&format!("/api/v1/accounts/{parent}/rollup"))
        .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "the rep cannot see the account at all"
    );
    // The rep's own account, with one deal of the rep's and one the administrator added to
    // it: the rep's roll-up counts the rep's deal only, the administrator's counts both.
    let rep_account = env.account(&rep, "华为终端 华南").await.id.to_string();
    let r = rep_api
        .post(
            "/api/v1/opportunities",
            json!({"name": "Rep deal", "account_id": rep_account, "amount": 1000, "stage": "proposal"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = api
        .post(
            "/api/v1/opportunities",
            json!({"name": "Admin deal", "account_id": rep_account, "amount": 7000, "stage": "proposal"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let open_pipeline = |v: Value| v["amounts"][0]["open_pipeline"].clone();
    let path = format!("/api/v1/accounts/{rep_account}/rollup");
    assert_eq!(
        open_pipeline(rep_api.get(&path).await.json()),
        json!("1000.00")
    );
    assert_eq!(open_pipeline(api.get(&path).await.json()), json!("8000.00"));
}

async fn activities_check_in_complete_postpone_follow_up(env: Env) {
    let (_c, api, account) = setup(&env).await;
    let contact = id_of(
        &api.post(
            "/api/v1/contacts",
            json!({"name": "张伟", "account_id": account}),
        )
        .await
        .json(),
    );
    // A visit logged against the contact gets the account from it and counts as contact.
    let visit = api
        .post(
            "/api/v1/activities",
            json!({"kind": "visit", "name": "拜访", "contact_id": contact}),
        )
        .await;
    assert_eq!(visit.status, StatusCode::CREATED, "{}", visit.body);
    let visit = visit.json();
    assert_eq!(visit["account_id"], account.as_str());
    assert_eq!(visit["status"], "done");
    let acc = api.get(&format!("/api/v1/accounts/{account}")).await;
    assert_eq!(acc.status, StatusCode::OK);
    let fields = api.get(&format!("/api/v1/contacts/{contact}")).await.json();
    assert_eq!(fields["last_contacted_at"], visit["starts_at"]);

    let vid = id_of(&visit);
    let r = api
        .post(
            &format!("/api/v1/activities/{vid}/check-in"),
            json!({"latitude": 22.54, "longitude": 114.05, "accuracy": 25}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["checkin_lat"], json!(22.54));
    assert!(r.json()["checkin_at"].is_string());
    let r = api
        .post(
            &format!("/api/v1/activities/{vid}/check-in"),
            json!({"latitude": 95, "longitude": 114}),
        )
        .await;
    assert_eq!(
        field_codes(&r),
        vec![("latitude".to_string(), "out_of_range".to_string())]
    );

    // A task: open, postponed with its reminder, completed, followed up.
    let due = "2026-12-01T10:00:00Z";
    let task = api.post("/api/v1/activities", json!({"kind": "task", "name": "发报价", "contact_id": contact, "due_at": due, "remind_at": "2026-12-01T09:00:00Z"})).await.json();
    assert_eq!(task["status"], "open");
    let tid = id_of(&task);
    let r = api
        .post(&format!("/api/v1/activities/{tid}/check-in"), json!({}))
        .await;
    assert_eq!(r.json()["error"]["code"], "checkin_only_visits");
    let r = api
        .post(
            &format!("/api/v1/activities/{tid}/postpone"),
            json!({"days": 2}),
        )
        .await;
    assert_eq!(r.json()["due_at"], "2026-12-03T10:00:00Z");
    assert_eq!(r.json()["remind_at"], "2026-12-03T09:00:00Z");
    let r = api
        .post(
            &format!("/api/v1/activities/{tid}/postpone"),
            json!({"days": 0}),
        )
        .await;
    assert_eq!(
        field_codes(&r),
        vec![("days".to_string(), "out_of_range".to_string())]
    );
    let r = api
        .call(
            Method::POST,
            &format!("/api/v1/activities/{tid}/complete"),
            None,
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED, "stale version");
    let r = api
        .post(&format!("/api/v1/activities/{tid}/complete"), json!({}))
        .await;
    assert_eq!(r.json()["status"], "done");
    assert!(r.json()["completed_at"].is_string());
    let r = api
        .post(
            &format!("/api/v1/activities/{tid}/postpone"),
            json!({"days": 1}),
        )
        .await;
    assert_eq!(r.json()["error"]["code"], "activity_done");
    let r = api
        .post(
            &format!("/api/v1/activities/{tid}/follow-up"),
            json!({"name": "电话确认", "due_at": "2026-12-05T02:00:00Z"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["kind"], "task");
    assert_eq!(r.json()["contact_id"], contact.as_str());
    assert_eq!(r.json()["account_id"], account.as_str());
    // Ends before it starts is refused.
    let r = api.post("/api/v1/activities", json!({"kind": "meeting", "name": "会", "starts_at": "2026-12-01T10:00:00Z", "ends_at": "2026-12-01T09:00:00Z"})).await;
    assert_eq!(
        field_codes(&r),
        vec![("ends_at".to_string(), "ends_before_start".to_string())]
    );
}

async fn account_timeline_collects_activities_opportunities_contacts_and_fields(env: Env) {
    let (c, api, account) = setup(&env).await;
    let contact = id_of(
        &api.post(
            "/api/v1/contacts",
            json!({"name": "张伟", "account_id": account}),
        )
        .await
        .json(),
    );
    let opp = id_of(
        &api.post(
            "/api/v1/opportunities",
            json!({"name": "核心网", "account_id": account, "amount": 1000}),
        )
        .await
        .json(),
    );
    env.clock.advance(chrono::Duration::minutes(1));
    api.patch(
        &format!("/api/v1/opportunities/{opp}"),
        json!({"stage": "negotiation"}),
        "\"1\"",
    )
    .await;
    env.clock.advance(chrono::Duration::minutes(1));
    let visit = id_of(
        &api.post(
            "/api/v1/activities",
            json!({"kind": "visit", "name": "拜访", "contact_id": contact}),
        )
        .await
        .json(),
    );
    api.post(
        &format!("/api/v1/activities/{visit}/check-in"),
        json!({"latitude": 1, "longitude": 2}),
    )
    .await;
    env.clock.advance(chrono::Duration::minutes(1));
    let r = api
        .patch(
            &format!("/api/v1/accounts/{account}"),
            json!({"industry": "通信"}),
            "\"1\"",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let t = api
        .get(&format!("/api/v1/accounts/{account}/timeline"))
        .await
        .json();
    let kinds: Vec<&str> = t["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec![
            "field",
            "activity",
            "activity",
            "opportunity",
            "opportunity",
            "contact"
        ],
        "newest first"
    );
    let stage_change = &t["items"][3]["summary"]["changes"];
    assert!(stage_change
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["field"] == "stage" && c["new"] == "negotiation"));
    // Filter by kind, and page.
    let t = api
        .get(&format!(
            "/api/v1/accounts/{account}/timeline?kind=activity"
        ))
        .await
        .json();
    assert_eq!(t["items"].as_array().unwrap().len(), 2);
    let first = api
        .get(&format!("/api/v1/accounts/{account}/timeline?limit=4"))
        .await
        .json();
    assert_eq!(first["items"].as_array().unwrap().len(), 4);
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    let rest = api
        .get(&format!(
            "/api/v1/accounts/{account}/timeline?limit=4&before={cursor}"
        ))
        .await
        .json();
    let rest_kinds: Vec<&str> = rest["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(rest_kinds, vec!["opportunity", "contact"]);
    assert!(rest["next_cursor"].is_null());
    let r = api
        .get(&format!("/api/v1/accounts/{account}/timeline?kind=gossip"))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A manager who sees an account but not every record on it sees only the entries of
    // the records they may see: here the manager owns the account and a contact on it,
    // the administrator (outside the manager's department) a deal and a call on the deal.
    let east = env.department(&c, "华东区", None).await;
    let manager = env
        .user(&c, "manager@a.example", "sales_manager", Some(east), None)
        .await;
    let manager_api = env.api(&env.token(&manager).await);
    let managed = env.account(&manager, "上海振华重工").await.id.to_string();
    let r = manager_api
        .post(
            "/api/v1/contacts",
            json!({"name": "李经理", "account_id": managed}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let secret_deal = id_of(
        &api.post(
            "/api/v1/opportunities",
            json!({"name": "保密项目", "account_id": managed, "amount": 5000}),
        )
        .await
        .json(),
    );
    let r = api
        .post(
            "/api/v1/activities",
            json!({"kind": "call", "name": "保密电话", "opportunity_id": secret_deal}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let names_in = |v: Value| -> String { v["items"].to_string() };
    let path = format!("/api/v1/accounts/{managed}/timeline");
    let everything = names_in(api.get(&path).await.json());
    assert!(everything.contains("保密项目") && everything.contains("保密电话"));
    let managers = names_in(manager_api.get(&path).await.json());
    assert!(managers.contains("李经理"), "{managers}");
    assert!(
        !managers.contains("保密项目") && !managers.contains("保密电话"),
        "{managers}"
    );
    let mut mb = env.browser();
    mb.login("manager@a.example").await;
    let page = mb.get(&format!("/accounts/{managed}")).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("李经理");
    assert!(!page.body.contains("保密项目") && !page.body.contains("保密电话"));

    // The page shows the stream.
    let mut b = env.browser();
    b.login("admin@a.example").await;
    let page = b.get(&format!("/accounts/{account}")).await;
    page.assert_contains("timeline-items");
    page.assert_contains("核心网");
    page.assert_contains("拜访");
    page.assert_contains("张伟");
    let fragment = b
        .get(&format!("/accounts/{account}/timeline?kind=contact"))
        .await;
    assert_eq!(fragment.status, StatusCode::SEE_OTHER);
    let _ = c;
}

async fn custom_fields_behave_like_standard_fields(env: Env) {
    let (c, api, account) = setup(&env).await;
    // Administrators add fields; others may not.
    let picklist = json!({"key": "budget_level", "label_zh": "预算级别", "label_en": "Budget level", "field_type": "picklist", "indexed": true,
        "options": [{"key": "high", "label_zh": "高", "label_en": "High"}, {"key": "low", "label_zh": "低", "label_en": "Low"}]});
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    let rep_api = env.api(&env.token(&rep).await);
    assert_eq!(
        rep_api
            .post("/api/v1/contacts/fields", picklist.clone())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = api.post("/api/v1/contacts/fields", picklist).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let r = api.post("/api/v1/contacts/fields", json!({"key": "headcount", "label_zh": "团队人数", "label_en": "Team size", "field_type": "number", "min": "0", "max": "100000", "required": false, "indexed": true})).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    // Both are indexed once their index-build jobs ran.
    assert_eq!(env.run_jobs().await, 2);
    // Bad definitions.
    let r = api
        .post(
            "/api/v1/contacts/fields",
            json!({"key": "Bad Key", "label_zh": "", "label_en": "", "field_type": "picklist"}),
        )
        .await;
    let codes = field_codes(&r);
    assert!(
        codes.contains(&("key".into(), "invalid_key".into()))
            && codes.contains(&("options".into(), "required".into())),
        "{codes:?}"
    );
    let r = api
        .post(
            "/api/v1/contacts/fields",
            json!({"key": "name", "label_zh": "重名", "field_type": "text"}),
        )
        .await;
    assert_eq!(
        field_codes(&r),
        vec![("key".to_string(), "duplicate_name".to_string())]
    );

    // Values: validated like standard fields.
    let mk = |name: &str, level: &str, size: i64| json!({"name": name, "account_id": account, "budget_level": level, "headcount": size});
    for (name, level, size) in [("甲", "high", 50), ("乙", "low", 5), ("丙", "high", 500)] {
        let r = api.post("/api/v1/contacts", mk(name, level, size)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let r = api.post("/api/v1/contacts", mk("丁", "medium", 1)).await;
    assert_eq!(
        field_codes(&r),
        vec![("budget_level".to_string(), "invalid_choice".to_string())]
    );
    let r = api.post("/api/v1/contacts", mk("丁", "low", -1)).await;
    assert_eq!(
        field_codes(&r),
        vec![("headcount".to_string(), "below_min".to_string())]
    );

    // Filter and sort.
    let names = |v: Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names(
            api.get("/api/v1/contacts?filter=budget_level:eq:high&sort=headcount")
                .await
                .json()
        ),
        vec!["甲", "丙"]
    );
    assert_eq!(
        names(
            api.get("/api/v1/contacts?filter=headcount:gt:10&sort=-headcount")
                .await
                .json()
        ),
        vec!["丙", "甲"]
    );
    assert_eq!(
        names(
            api.get("/api/v1/contacts?filter=headcount:between:1,60&sort=headcount")
                .await
                .json()
        ),
        vec!["乙", "甲"]
    );
    let page1 = api
        .get("/api/v1/contacts?sort=headcount&limit=2")
        .await
        .json();
    assert_eq!(names(page1.clone()), vec!["乙", "甲"]);
    let cursor = page1["next_cursor"].as_str().unwrap().to_string();
    assert_eq!(
        names(
            api.get(&format!(
                "/api/v1/contacts?sort=headcount&limit=2&cursor={cursor}"
            ))
            .await
            .json()
        ),
        vec!["丙"]
    );

    // History and OpenAPI.
    let id = id_of(
        &api.get("/api/v1/contacts?filter=headcount:eq:5")
            .await
            .json()["items"][0],
    );
    let r = api
        .patch(
            &format!("/api/v1/contacts/{id}"),
            json!({"budget_level": "high"}),
            "\"1\"",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let h = api
        .get(&format!("/api/v1/contacts/{id}/history"))
        .await
        .json();
    assert!(h["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["field"] == "budget_level"
            && i["old_value"] == "low"
            && i["new_value"] == "high"));
    let doc = api.get("/api/v1/openapi.json").await.json();
    assert_eq!(
        doc["components"]["schemas"]["Contact"]["properties"]["budget_level"]["enum"],
        json!(["high", "low", null])
    );
    assert_eq!(
        doc["components"]["schemas"]["ContactWrite"]["properties"]["headcount"]["type"],
        json!(["number", "null"])
    );
    let fields = api.get("/api/v1/contacts/fields").await.json();
    assert!(fields["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["key"] == "budget_level" && f["custom"] == true && f["indexed"] == true));
}

async fn list_filters_refuse_bad_input(env: Env) {
    let (_c, api, _account) = setup(&env).await;
    for (query, field, code) in [
        ("filter=nope:eq:1", "filter.nope", "unknown_field"),
        (
            "filter=amount:contains:x",
            "filter.amount",
            "invalid_operator",
        ),
        ("filter=stage:eq:dreaming", "filter.stage", "invalid_choice"),
        ("filter=amount:gt:lots", "filter.amount", "invalid_number"),
        (
            "filter=expected_close:older_than_days:x",
            "filter.expected_close",
            "invalid_number",
        ),
        ("sort=notes", "sort", "invalid_choice"),
        ("limit=500", "limit", "out_of_range"),
        ("cursor=zzz", "cursor", "invalid_cursor"),
        ("bogus=1", "bogus", "unknown_field"),
    ] {
        assert_refused(&api, &format!("/api/v1/opportunities?{query}"), field, code).await;
    }
    let r = api.post("/api/v1/opportunities/query", json!({"filters": [{"field": "stage", "op": "in", "values": ["won", "lost"]}], "sort": "-amount"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = api
        .post("/api/v1/opportunities/query", json!({"filters": "stage"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The list page answers with a translated error, not a crash.
    let mut b = env.browser();
    b.login("admin@a.example").await;
    let r = b
        .get("/opportunities?edited=1&ff=stage&fo=eq&fv=dreaming")
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_contains("list-error");
}

async fn saved_and_builtin_views(env: Env) {
    let (c, api, account) = setup(&env).await;
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    let rep_api = env.api(&env.token(&rep).await);
    let now = env.app.now();
    let due_today =
        (now + chrono::Duration::minutes(5)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let due_later =
        (now + chrono::Duration::days(3)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    rep_api
        .post(
            "/api/v1/activities",
            json!({"kind": "task", "name": "今天", "due_at": due_today}),
        )
        .await;
    rep_api
        .post(
            "/api/v1/activities",
            json!({"kind": "task", "name": "以后", "due_at": due_later}),
        )
        .await;
    api.post(
        "/api/v1/activities",
        json!({"kind": "task", "name": "别人的", "due_at": due_today}),
    )
    .await;
    let names = |v: Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names(
            rep_api
                .get("/api/v1/activities?view=my_tasks_today")
                .await
                .json()
        ),
        vec!["今天"]
    );
    // My day lists it too.
    let day = rep_api.get("/api/v1/my-day").await.json();
    assert_eq!(day["today"].as_array().unwrap().len(), 1);

    // Accounts not contacted in 30 days: a fresh account qualifies (never contacted);
    // after a call it does not; 31 days later it does again.
    let views = api.get("/api/v1/accounts/views").await.json();
    assert!(views["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["id"] == "not_contacted_30"));
    let acc_names = |v: Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_string())
            .collect()
    };
    let ask = || {
        api.post(
            "/api/v1/opportunities/query",
            json!({"view": "closing_this_month"}),
        )
    };
    assert!(acc_names(ask().await.json()).is_empty());
    let list = app::records::list(
        &env.app,
        &c.admin,
        domain::permissions::ObjectKind::Account,
        &app::records::ListRequest {
            filters: vec![domain::views::FilterSpec {
                field: "last_contacted_at".into(),
                op: "older_than_days".into(),
                values: vec!["30".into()],
            }],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(list.records.len(), 1);
    api.post(
        "/api/v1/activities",
        json!({"kind": "call", "name": "电话", "account_id": account}),
    )
    .await;
    let again = |env: &Env| {
        let app = env.app.clone();
        let admin = c.admin.clone();
        async move {
            app::records::list(
                &app,
                &admin,
                domain::permissions::ObjectKind::Account,
                &app::records::ListRequest {
                    filters: vec![domain::views::FilterSpec {
                        field: "last_contacted_at".into(),
                        op: "older_than_days".into(),
                        values: vec!["30".into()],
                    }],
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .records
            .len()
        }
    };
    assert_eq!(again(&env).await, 0);
    env.clock.advance(chrono::Duration::days(31));
    assert_eq!(again(&env).await, 1);

    // Saved views: private to their owner unless shared.
    let mut b = env.browser();
    b.login("rep@a.example").await;
    let r = b
        .post(
            "/activities/views",
            &[
                ("name", "我的任务"),
                ("share", "private"),
                ("ff", "kind"),
                ("fo", "eq"),
                ("fv", "task"),
                ("col", "kind"),
                ("col", "due_at"),
                ("sort", "due_at"),
            ],
        )
        .await;
    assert!(
        r.location().starts_with("/activities?view="),
        "{} {}",
        r.status,
        r.body
    );
    let view_id = r
        .location()
        .trim_start_matches("/activities?view=")
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let page = b.get(&format!("/activities?view={view_id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("以后");
    assert!(!page.body.contains("别人的"));
    assert_eq!(
        api.get(&format!("/api/v1/activities?view={view_id}"))
            .await
            .status,
        StatusCode::NOT_FOUND,
        "another user's private view"
    );
    // A rep may not share with everyone.
    let r = b
        .post(
            "/activities/views",
            &[("name", "共享"), ("share", "everyone")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A view with a bad filter is refused.
    let r = b
        .post(
            "/activities/views",
            &[("name", "坏"), ("ff", "kind"), ("fo", "gt"), ("fv", "x")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The administrator shares one with everyone: the rep sees it.
    let mut admin = env.browser();
    admin.login("admin@a.example").await;
    let r = admin
        .post(
            "/activities/views",
            &[
                ("name", "全员任务"),
                ("share", "everyone"),
                ("ff", "kind"),
                ("fo", "eq"),
                ("fv", "task"),
            ],
        )
        .await;
    let shared = r
        .location()
        .trim_start_matches("/activities?view=")
        .split('&')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        rep_api
            .get(&format!("/api/v1/activities?view={shared}"))
            .await
            .status,
        StatusCode::OK
    );
    let views = rep_api.get("/api/v1/activities/views").await.json();
    assert!(views["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["name"] == "全员任务"));
}

async fn record_pages_forms_and_my_day(env: Env) {
    let (_c, api, account) = setup(&env).await;
    let mut b = env.browser();
    b.login("admin@a.example").await;
    let form = b.get(&format!("/contacts/new?account_id={account}")).await;
    assert_eq!(form.status, StatusCode::OK);
    form.assert_contains("深圳华为技术有限公司");
    // Invalid form: translated errors, nothing saved.
    let r = b
        .post(
            "/contacts",
            &[("name", ""), ("account_id", &account), ("email", "bad")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_contains("不是有效的");
    assert!(api.get("/api/v1/contacts").await.json()["items"]
        .as_array()
        .unwrap()
        .is_empty());
    let r = b
        .post(
            "/contacts",
            &[
                ("name", "张伟"),
                ("account_id", &account),
                ("title", "总监"),
                ("customer_role", "influencer"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let location = r.location();
    let page = b.get(&location).await;
    page.assert_contains("张伟");
    page.assert_contains("影响者");
    page.assert_contains("深圳华为技术有限公司");
    let id = location
        .trim_start_matches("/contacts/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    // A stale edit is refused.
    let r = b
        .post(
            &format!("/contacts/{id}"),
            &[("name", "张伟2"), ("version", "7")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = b
        .post(
            &format!("/contacts/{id}"),
            &[("name", "张伟2"), ("version", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // List with a filter from the builder, and the account page's related list.
    let list = b
        .get("/contacts?edited=1&ff=customer_role&fo=eq&fv=influencer")
        .await;
    list.assert_contains("张伟2");
    let list = b
        .get("/contacts?edited=1&ff=customer_role&fo=eq&fv=user")
        .await;
    assert!(!list.body.contains("张伟2"));
    let account_page = b.get(&format!("/accounts/{account}")).await;
    account_page.assert_contains("related-contacts");
    account_page.assert_contains("张伟2");

    // My day: a task due today and an overdue one.
    let now = env.app.now();
    let today = (now + chrono::Duration::minutes(30))
        .with_timezone(&domain::fields::china_time())
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let r = b
        .post(
            "/activities",
            &[
                ("kind", "task"),
                ("name", "今天要做"),
                ("due_at", &today),
                ("account_id", &account),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let overdue =
        (now - chrono::Duration::days(2)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    api.post(
        "/api/v1/activities",
        json!({"kind": "task", "name": "早该做", "due_at": overdue}),
    )
    .await;
    let home = b.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    home.assert_contains("今天要做");
    home.assert_contains("早该做");
    // Admin pages: the custom field form adds a field that then shows on the form.
    let r = b
        .post(
            "/admin/fields/contacts",
            &[
                ("key", "hobby"),
                ("label_zh", "爱好"),
                ("label_en", "Hobby"),
                ("field_type", "text"),
            ],
        )
        .await;
    assert_eq!(
        r.location(),
        "/admin/fields/contacts?notice=field_added",
        "{}",
        r.body
    );
    b.get("/contacts/new").await.assert_contains("f-hobby");
    let r = b
        .post(
            "/admin/fields/contacts",
            &[
                ("key", "hobby"),
                ("label_zh", "重复"),
                ("field_type", "text"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn relationships_on_both_sides(env: Env) {
    let (_c, api, supplier) = setup(&env).await;
    let customer = id_of(
        &api.post("/api/v1/accounts", json!({"name": "比亚迪"}))
            .await
            .json(),
    );
    let r = api
        .post(
            &format!("/api/v1/accounts/{supplier}/relationships"),
            json!({"to_id": customer, "kind": "supplies"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = api
        .post(
            &format!("/api/v1/accounts/{supplier}/relationships"),
            json!({"to_id": customer, "kind": "supplies"}),
        )
        .await;
    assert_eq!(
        field_codes(&r),
        vec![("to_id".to_string(), "duplicate_name".to_string())]
    );
    let r = api
        .post(
            &format!("/api/v1/accounts/{supplier}/relationships"),
            json!({"to_id": customer, "kind": "enemy"}),
        )
        .await;
    assert_eq!(
        field_codes(&r),
        vec![("kind".to_string(), "invalid_choice".to_string())]
    );
    let from = api
        .get(&format!("/api/v1/accounts/{supplier}/relationships"))
        .await
        .json();
    assert_eq!(from["items"][0]["direction"], "from");
    assert_eq!(from["items"][0]["other_name"], "比亚迪");
    let to = api
        .get(&format!("/api/v1/accounts/{customer}/relationships"))
        .await
        .json();
    assert_eq!(to["items"][0]["direction"], "to");
    let mut b = env.browser();
    b.login("admin@a.example").await;
    b.get(&format!("/accounts/{customer}"))
        .await
        .assert_contains("上游供应商");
    b.get(&format!("/accounts/{supplier}"))
        .await
        .assert_contains("下游客户");
}

async fn global_search_finds_every_object_within_scope(env: Env) {
    let (c, admin_api, account) = setup(&env).await;
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    let rep_api = env.api(&env.token(&rep).await);
    let mine = env.account(&rep, "华为云计算有限公司").await;
    for (path, body) in [
        (
            "/api/v1/contacts",
            json!({"name": "华为 张伟", "account_id": account, "mobile": "+86 138 0013 8000"}),
        ),
        (
            "/api/v1/leads",
            json!({"name": "李华", "company": "华为终端"}),
        ),
        (
            "/api/v1/opportunities",
            json!({"name": "华为 年度采购", "account_id": account}),
        ),
    ] {
        let r = admin_api.post(path, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let groups = |v: &Value| -> Vec<(String, Vec<String>)> {
        v["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                (
                    g["object"].as_str().unwrap().to_string(),
                    g["items"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|i| i["name"].as_str().unwrap().to_string())
                        .collect(),
                )
            })
            .collect()
    };
    let r = admin_api.get("/api/v1/search?q=华为").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        groups(&r.json()),
        [
            (
                "account".to_string(),
                vec![
                    "华为云计算有限公司".to_string(),
                    "深圳华为技术有限公司".to_string()
                ]
            ),
            ("contact".to_string(), vec!["华为 张伟".to_string()]),
            ("lead".to_string(), vec!["李华".to_string()]),
            ("opportunity".to_string(), vec!["华为 年度采购".to_string()]),
        ]
    );
    // Phone fragments find contacts; `limit` caps each object and says there is more.
    let r = admin_api.get("/api/v1/search?q=0013%208000").await;
    assert_eq!(groups(&r.json())[1].1, ["华为 张伟"]);
    let r = admin_api.get("/api/v1/search?q=华为&limit=1").await;
    let v = r.json();
    assert_eq!(v["groups"][0]["items"].as_array().unwrap().len(), 1);
    assert_eq!(v["groups"][0]["more"], true);
    assert_eq!(v["groups"][1]["more"], false);
    // The rep sees only what the rep may see: their own account, nothing of the admin's.
    let r = rep_api.get("/api/v1/search?q=华为").await;
    let found = groups(&r.json());
    assert_eq!(found[0], ("account".to_string(), vec![mine.name.clone()]));
    assert!(
        found[1..].iter().all(|(_, names)| names.is_empty()),
        "{found:?}"
    );
    // Bad input is refused with the field named.
    for (query, field, code) in [
        ("", "q", "required"),
        ("q=%20%20", "q", "required"),
        ("q=华为&limit=0", "limit", "out_of_range"),
        ("q=华为&limit=x", "limit", "out_of_range"),
        ("q=华为&sort=name", "sort", "unknown_field"),
    ] {
        assert_refused(&admin_api, &format!("/api/v1/search?{query}"), field, code).await;
    }
    let long = "华".repeat(101);
    let r = admin_api.get(&format!("/api/v1/search?q={long}")).await;
    assert_eq!(field_codes(&r), [("q".to_string(), "too_long".to_string())]);

    // The page: the box in the top bar leads to grouped results with links and owners.
    let mut browser = env.browser();
    browser.login("rep@a.example").await;
    let page = browser.get("/accounts").await;
    page.assert_contains("action=\"/search\"");
    let page = browser.get("/search?q=%E5%8D%8E%E4%B8%BA").await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains(&format!("href=\"/accounts/{}\"", mine.id));
    page.assert_contains("华为云计算有限公司");
    assert!(!page.body.contains("深圳华为技术有限公司"), "out of scope");
    page.assert_contains("没有找到");
    let page = browser.get("/search").await;
    assert_eq!(page.status, StatusCode::OK);
    page.assert_contains("查看客户是否已有同事跟进");
    let page = browser.get(&format!("/search?q={long}")).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// Related lists read `<lookup> = ? ORDER BY updated_at DESC, id DESC`: on SQLite (which plans
/// without statistics) each must search an index on its lookup in that order, not walk the
/// table's `updated_at` index checking the lookup row by row (seconds at a million rows).
/// The statements are the ones the store builds for a related list, for every standard lookup
/// of every object, read by the administrator (no scope) and by a rep (own records).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn related_lists_search_their_lookup_index_in_order_on_sqlite() {
    crate::support::run(crate::support::Backend::Sqlite, |env: Env| async move {
        use domain::fields::FieldType;
        use domain::permissions::ObjectKind;
        let c = env.company("Acme", "admin@a.example").await;
        let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
        let mut checked = 0;
        for kind in ObjectKind::RECORDS {
            let spec = domain::objects::spec(kind).expect("record object");
            let updated_at = spec.field("updated_at").expect("updated_at");
            for lookup in spec
                .fields
                .iter()
                .filter(|f| f.field_type == FieldType::Lookup)
            {
                let column = lookup
                    .column
                    .as_deref()
                    .expect("a standard lookup has a column");
                for reader in [&c.admin, &rep] {
                    let query = store::records::ListQuery {
                        conditions: &[],
                        related: Some((column, uuid::Uuid::now_v7())),
                        search_tokens: &[],
                        sort: updated_at,
                        descending: true,
                        after: None,
                        limit: 10,
                    };
                    let mut tx = env.app.db.begin_read().await.expect("tx");
                    let statement =
                        store::records::list_statement(&mut tx, &reader.principal, spec, &query)
                            .await
                            .expect("statement");
                    let plan = store::records::explain(&mut tx, &statement)
                        .await
                        .expect("explain");
                    // Every arm of the list (a reader with pools has several) walks the
                    // lookup's index; only an arm's few rows are sorted again to merge them.
                    let searches: Vec<&String> = plan
                        .iter()
                        .filter(|p| p.starts_with("SEARCH t USING"))
                        .collect();
                    let merged_sorts = plan
                        .windows(2)
                        .all(|w| !w[1].contains("TEMP B-TREE") || w[0].starts_with("SCAN arm"));
                    assert!(
                        !searches.is_empty()
                            && searches
                                .iter()
                                .all(|p| { p.contains(&format!("(tenant_id=? AND {column}=?)")) })
                            && !plan[0].contains("TEMP B-TREE")
                            && merged_sorts,
                        "{}.{column} read by {}: {plan:?}",
                        spec.plural,
                        reader.user.email
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked >= 18, "every standard lookup, twice: {checked}");
    })
    .await
}
