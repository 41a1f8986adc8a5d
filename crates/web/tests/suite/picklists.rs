//! Per-company metadata: a company's choices of standard picklists (added, relabelled in
//! both languages, retired while records keep them), record types with required fields and a
//! layout, and the opportunity stage set as data — through the API (the administration pages
//! and the record form in `picklist_pages`).

use crate::on_both_databases;
use crate::support::{field_codes, Env};
use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

on_both_databases!(
    a_company_edits_lead_sources,
    only_administrators_edit_choices,
    bad_choices_are_refused,
    record_types_require_their_fields,
    stage_sets_are_data,
);

pub(crate) fn sources(lead_fields: &Value) -> Vec<(String, String, String, bool)> {
    lead_fields["items"]
        .as_array()
        .and_then(|items| items.iter().find(|f| f["key"] == "source"))
        .and_then(|f| f["options"].as_array())
        .map(|options| {
            options
                .iter()
                .map(|o| {
                    (
                        o["key"].as_str().unwrap_or_default().to_string(),
                        o["label_zh"].as_str().unwrap_or_default().to_string(),
                        o["label_en"].as_str().unwrap_or_default().to_string(),
                        o["active"].as_bool().unwrap_or(false),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn patch_field(
    api: &crate::support::Api,
    path: &str,
    body: Value,
) -> crate::support::Response {
    api.call(Method::PATCH, path, Some(body), &[]).await
}

async fn a_company_edits_lead_sources(env: Env) {
    let c = env.company("来源公司", "admin@sources.example").await;
    let other = env.company("别的公司", "admin@other.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let rep = env
        .user(&c, "rep@sources.example", "sales_rep", None, None)
        .await;
    let rep_api = env.api(&env.token(&rep).await);
    // A lead from a fair, stored before the company retires the choice.
    let lead = rep_api
        .post(
            "/api/v1/leads",
            json!({"name": "老线索", "source": "event"}),
        )
        .await;
    assert_eq!(lead.status, StatusCode::CREATED, "{}", lead.body);
    let lead_id = lead.json()["id"].as_str().unwrap().to_string();

    let mut options: Vec<Value> = sources(&api.get("/api/v1/leads/fields").await.json())
        .into_iter()
        .filter(|(key, ..)| key != "event")
        .map(|(key, zh, en, active)| json!({"key": key, "label_zh": zh, "label_en": en, "active": active}))
        .collect();
    options[0] = json!({"key": "web", "label_zh": "公司官网", "label_en": "Company website"});
    options.push(json!({"key": "wechat", "label_zh": "微信公众号", "label_en": "WeChat account"}));
    let r = patch_field(
        &api,
        "/api/v1/leads/fields/source",
        json!({ "options": options }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["key"], "source");
    // The change is in the administrators' audit.
    let audit = api
        .get("/api/v1/audit?object=field&action=update_field")
        .await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.body);
    assert!(audit.body.contains("lead.source"), "{}", audit.body);

    let now = sources(&rep_api.get("/api/v1/leads/fields").await.json());
    assert!(now.contains(&(
        "web".into(),
        "公司官网".into(),
        "Company website".into(),
        true
    )));
    assert!(now.contains(&(
        "wechat".into(),
        "微信公众号".into(),
        "WeChat account".into(),
        true
    )));
    // Left out: kept, inactive, with its labels.
    assert!(now.contains(&("event".into(), "会议/展会".into(), "Event".into(), false)));
    // The other company still has the standard choices.
    let theirs = sources(
        &env.api(&env.token(&other.admin).await)
            .get("/api/v1/leads/fields")
            .await
            .json(),
    );
    assert!(theirs.contains(&("event".into(), "会议/展会".into(), "Event".into(), true)));
    assert!(!theirs.iter().any(|o| o.0 == "wechat"));

    // New choices take the new value and refuse the retired one.
    let r = rep_api
        .post(
            "/api/v1/leads",
            json!({"name": "新线索", "source": "wechat"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = rep_api
        .post(
            "/api/v1/leads",
            json!({"name": "又一条", "source": "event"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_codes(&r),
        [("source".into(), "invalid_choice".into())]
    );
    // The old lead keeps its value, shows it, and can be edited otherwise.
    let read = rep_api.get(&format!("/api/v1/leads/{lead_id}")).await;
    assert_eq!(read.json()["source"], "event");
    let etag = format!("\"{}\"", read.json()["version"]);
    let r = rep_api
        .patch(
            &format!("/api/v1/leads/{lead_id}"),
            json!({"title": "经理", "source": "event"}),
            &etag,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["source"], "event");
    // Filters still find it by the retired value.
    let r = rep_api.get("/api/v1/leads?filter=source:eq:event").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["items"].as_array().map(Vec::len), Some(1));

    let mut browser = env.browser();
    browser.login("rep@sources.example").await;
    let page = browser.get(&format!("/leads/{lead_id}")).await;
    page.assert_contains("会议/展会");
    let form = browser.get("/leads/new").await;
    form.assert_contains("微信公众号");
    form.assert_contains("公司官网");
    assert!(
        !form.body.contains("value=\"event\""),
        "a retired choice is not offered"
    );
    let edit = browser.get(&format!("/leads/{lead_id}/edit")).await;
    edit.assert_contains("value=\"event\"");
}

async fn only_administrators_edit_choices(env: Env) {
    let c = env.company("权限公司", "admin@perm.example").await;
    let body = json!({"options": [{"key": "web", "label_zh": "官网", "label_en": "Website"}]});
    for (email, role) in [
        ("rep@perm.example", "sales_rep"),
        ("manager@perm.example", "sales_manager"),
    ] {
        let actor = env.user(&c, email, role, None, None).await;
        let api = env.api(&env.token(&actor).await);
        let r = patch_field(&api, "/api/v1/leads/fields/source", body.clone()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{role}");
        let r = api
            .post(
                "/api/v1/record-types",
                json!({"object": "opportunities", "key": "x", "name_zh": "甲", "name_en": "X"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{role}");
        // Reading is for everyone: forms offer the types and stages.
        assert_eq!(
            api.get("/api/v1/record-types?object=opportunities")
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(
            api.get("/api/v1/stage-sets?object=opportunities")
                .await
                .status,
            StatusCode::OK
        );
        let mut browser = env.browser();
        browser.login(email).await;
        assert_eq!(
            browser.get("/admin/fields/leads").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            browser
                .get("/admin/record-types/opportunities")
                .await
                .status,
            StatusCode::FORBIDDEN
        );
    }
    let api = env.api(&env.token(&c.admin).await);
    let fields = sources(&api.get("/api/v1/leads/fields").await.json());
    assert!(fields.iter().all(|o| o.3), "nothing changed");
}

async fn bad_choices_are_refused(env: Env) {
    let c = env.company("校验公司", "admin@bad.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let option =
        |key: &str, zh: &str, en: &str| json!({"key": key, "label_zh": zh, "label_en": en});
    for (path, body, expected) in [
        (
            "/api/v1/leads/fields/source",
            json!({"options": [option("web", "官网", "Web"), option("web", "又一个", "Again")]}),
            vec![("options[1].key", "duplicate_name")],
        ),
        (
            "/api/v1/leads/fields/source",
            json!({"options": [option("web", " ", "Web"), option("fair", "展会", "")]}),
            vec![
                ("options[0].label_zh", "required"),
                ("options[1].label_en", "required"),
            ],
        ),
        (
            "/api/v1/leads/fields/source",
            json!({"options": [option("web", "官网\u{0}", "Web")]}),
            // The input filter names the body member that holds it.
            vec![("options", "control_character")],
        ),
        (
            "/api/v1/leads/fields/source",
            json!({"options": [{"key": "web", "label_zh": "官网", "label_en": "Web", "colour": "red"}], "extra": 1}),
            vec![
                ("extra", "unknown_field"),
                ("options[0].colour", "unknown_field"),
            ],
        ),
        (
            "/api/v1/leads/fields/no_such_field",
            json!({"options": [option("web", "官网", "Web")]}),
            vec![("key", "unknown_field")],
        ),
        (
            "/api/v1/leads/fields/name",
            json!({"options": [option("web", "官网", "Web")]}),
            vec![("key", "not_a_picklist")],
        ),
        (
            "/api/v1/opportunities/fields/stage",
            json!({"options": [option("web", "官网", "Web")]}),
            vec![("key", "not_editable")],
        ),
        (
            "/api/v1/leads/fields/status",
            json!({"options": [option("contacted", "已联系", "Contacted")]}),
            vec![("options", "default_inactive")],
        ),
        (
            "/api/v1/leads/fields/source",
            json!({"options": "web"}),
            vec![("options", "wrong_type")],
        ),
    ] {
        let r = patch_field(&api, path, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path} {body}: {}",
            r.body
        );
        let mut codes = field_codes(&r);
        codes.sort();
        let mut expected: Vec<(String, String)> = expected
            .iter()
            .map(|(f, c)| (f.to_string(), c.to_string()))
            .collect();
        expected.sort();
        assert_eq!(codes, expected, "{body}");
        assert!(!r.json()["error"]["fields"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .is_empty());
    }
    let fields = sources(&api.get("/api/v1/leads/fields").await.json());
    assert!(
        fields.iter().all(|o| o.3) && fields.iter().any(|o| o.0 == "event"),
        "nothing changed"
    );
    // A custom picklist takes the same body, keeping a left-out choice inactive.
    let r = api
        .post("/api/v1/leads/fields", json!({"key": "budget", "label_zh": "预算", "label_en": "Budget", "field_type": "picklist",
            "options": [option("low", "低", "Low"), option("high", "高", "High")]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = patch_field(
        &api,
        "/api/v1/leads/fields/budget",
        json!({"options": [option("low", "少", "Small")]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let options = r.json()["options"].clone();
    assert_eq!(options[0]["label_zh"], "少");
    assert_eq!(options[1]["key"], "high");
    assert_eq!(options[1]["active"], false);
}

async fn record_types_require_their_fields(env: Env) {
    let c = env.company("业务类型公司", "admin@types.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let rep = env
        .user(&c, "rep@types.example", "sales_rep", None, None)
        .await;
    let rep_api = env.api(&env.token(&rep).await);
    let r = api
        .post("/api/v1/record-types", json!({"object": "opportunities", "key": "project", "name_zh": "项目型销售",
            "name_en": "Project sale", "required_fields": ["amount", "expected_close"], "layout_fields": ["amount", "stage", "expected_close"]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let project = r.json();
    assert_eq!(project["object"], "opportunities");
    assert_eq!(project["active"], true);
    assert_eq!(project["is_default"], false);
    let id = project["id"].as_str().unwrap().to_string();
    // Refused bodies.
    for (body, expected) in [
        (
            json!({"object": "opportunities", "key": "project", "name_zh": "再来", "name_en": "Again"}),
            ("key", "duplicate_name"),
        ),
        (
            json!({"object": "opportunities", "key": "p2", "name_zh": "", "name_en": "P"}),
            ("name_zh", "required"),
        ),
        (
            json!({"object": "opportunities", "key": "p3", "name_zh": "甲", "name_en": "P", "required_fields": ["nothing"]}),
            ("required_fields[0]", "unknown_field"),
        ),
        (
            json!({"object": "opportunities", "key": "p4", "name_zh": "甲", "name_en": "P", "stage_set": "nowhere"}),
            ("stage_set", "invalid_choice"),
        ),
        (
            json!({"object": "planets", "key": "p5", "name_zh": "甲", "name_en": "P"}),
            ("object", "invalid_choice"),
        ),
        (
            json!({"object": "opportunities", "key": "p6", "name_zh": "甲", "name_en": "P", "colour": 1}),
            ("colour", "unknown_field"),
        ),
    ] {
        let r = api.post("/api/v1/record-types", body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.body
        );
        assert!(
            field_codes(&r).contains(&(expected.0.into(), expected.1.into())),
            "{body}: {}",
            r.body
        );
    }
    let list = rep_api.get("/api/v1/record-types?object=opportunity").await;
    assert_eq!(list.json()["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        rep_api.get("/api/v1/record-types").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    let account = env.account(&rep, "项目客户").await;
    // Its required fields are enforced on create…
    let r = rep_api
        .post(
            "/api/v1/opportunities",
            json!({"name": "大项目", "account_id": account.id, "record_type": "project"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let mut codes = field_codes(&r);
    codes.sort();
    assert_eq!(
        codes,
        [
            ("amount".into(), "required".into()),
            ("expected_close".into(), "required".into())
        ]
    );
    // …not on records of no type.
    let r = rep_api
        .post(
            "/api/v1/opportunities",
            json!({"name": "小单", "account_id": account.id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let plain = r.json();
    let r = rep_api
        .post(
            "/api/v1/opportunities",
            json!({"name": "大项目", "account_id": account.id, "record_type": "project",
            "amount": "100000", "expected_close": "2026-12-31"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["record_type"], "project");
    let typed = r.json();
    // …and on update, also when the type is given later.
    let r = rep_api
        .patch(
            &format!("/api/v1/opportunities/{}", typed["id"].as_str().unwrap()),
            json!({"amount": null}),
            &format!("\"{}\"", typed["version"]),
        )
        .await;
    assert_eq!(field_codes(&r), [("amount".into(), "required".into())]);
    let r = rep_api
        .patch(
            &format!("/api/v1/opportunities/{}", plain["id"].as_str().unwrap()),
            json!({"record_type": "project"}),
            &format!("\"{}\"", plain["version"]),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // An unknown type is a field error.
    let r = rep_api
        .post(
            "/api/v1/opportunities",
            json!({"name": "x", "account_id": account.id, "record_type": "nothing"}),
        )
        .await;
    assert_eq!(
        field_codes(&r),
        [("record_type".into(), "invalid_choice".into())]
    );

    // Editing: a default type applies to records of no type.
    let r = api
        .call(
            Method::PATCH,
            &format!("/api/v1/record-types/{id}"),
            Some(json!({"is_default": true, "required_fields": ["contact_id"]})),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["required_fields"], json!(["contact_id"]));
    let r = rep_api
        .post(
            "/api/v1/opportunities",
            json!({"name": "默认类型", "account_id": account.id}),
        )
        .await;
    assert_eq!(field_codes(&r), [("contact_id".into(), "required".into())]);
    let r = api
        .call(
            Method::PATCH,
            &format!("/api/v1/record-types/{id}"),
            Some(json!({"key": "renamed"})),
            &[],
        )
        .await;
    assert_eq!(field_codes(&r), [("key".into(), "read_only".into())]);
    let r = rep_api
        .call(
            Method::PATCH,
            &format!("/api/v1/record-types/{id}"),
            Some(json!({"active": false})),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = api
        .call(
            Method::PATCH,
            &format!("/api/v1/record-types/{id}"),
            Some(json!({"is_default": false, "active": false})),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // A retired type is not offered for new records; its records keep it.
    let r = rep_api
        .post(
            "/api/v1/opportunities",
            json!({"name": "x", "account_id": account.id, "record_type": "project"}),
        )
        .await;
    assert_eq!(
        field_codes(&r),
        [("record_type".into(), "invalid_choice".into())]
    );
    let read = rep_api
        .get(&format!(
            "/api/v1/opportunities/{}",
            typed["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(read.json()["record_type"], "project");
    let other = env.company("别家", "admin@elsewhere.example").await;
    let theirs = env.api(&env.token(&other.admin).await);
    assert_eq!(
        theirs
            .get(&format!("/api/v1/record-types/{id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn stage_sets_are_data(env: Env) {
    let c = env.company("阶段公司", "admin@stages.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let rep = env
        .user(&c, "rep@stages.example", "sales_rep", None, None)
        .await;
    let rep_api = env.api(&env.token(&rep).await);
    let account = env.account(&rep, "阶段客户").await;
    // A new company has the standard set.
    let sets = rep_api
        .get("/api/v1/stage-sets?object=opportunities")
        .await
        .json();
    assert_eq!(sets["items"][0]["key"], "default");
    assert_eq!(sets["items"][0]["stages"].as_array().map(Vec::len), Some(6));
    assert_eq!(sets["items"][0]["stages"][4]["closed"], "won");
    // The win rate comes from the company's set: it changes the standard one.
    let mut standard = sets["items"][0].clone();
    standard["stages"][1]["win_rate"] = json!(35);
    standard["object"] = json!("opportunities");
    let r = api.post("/api/v1/stage-sets", standard.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = rep_api
        .post(
            "/api/v1/opportunities",
            json!({"name": "需求单", "account_id": account.id, "stage": "needs"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.json()["win_rate"].as_f64(), Some(35.0));
    // A stage of the set cannot be removed while records may hold it.
    let mut fewer = standard.clone();
    fewer["stages"].as_array_mut().unwrap().remove(1);
    let r = api.post("/api/v1/stage-sets", fewer).await;
    assert_eq!(field_codes(&r), [("stages[1]".into(), "still_used".into())]);

    // A custom set through a record type.
    let r = api
        .post("/api/v1/stage-sets", json!({"object": "opportunities", "key": "channel", "name_zh": "渠道销售", "name_en": "Channel sale",
            "stages": [
                {"key": "recruit", "name_zh": "招募", "name_en": "Recruit", "win_rate": 5},
                {"key": "enable", "name_zh": "赋能", "name_en": "Enable", "win_rate": 40},
                {"key": "signed", "name_zh": "签约", "name_en": "Signed", "win_rate": 100, "closed": "won"},
                {"key": "dropped", "name_zh": "放弃", "name_en": "Dropped", "win_rate": 0, "closed": "lost"}]}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for (body, field) in [
        (
            json!({"key": "x", "name_zh": "甲", "name_en": "X", "stages": [{"key": "a", "name_zh": "甲", "name_en": "A", "win_rate": 101}]}),
            "stages[0].win_rate",
        ),
        (
            json!({"key": "x", "name_zh": "甲", "name_en": "X", "stages": (0..13).map(|i| json!({"key": format!("s{i}"), "name_zh": "甲", "name_en": "A", "win_rate": 1})).collect::<Vec<_>>()}),
            "stages",
        ),
    ] {
        let r = api.post("/api/v1/stage-sets", body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(field_codes(&r)[0].0, field);
    }
    let r = rep_api
        .post(
            "/api/v1/stage-sets",
            json!({"key": "y", "name_zh": "乙", "name_en": "Y", "stages": []}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = api
        .post("/api/v1/record-types", json!({"object": "opportunities", "key": "channel", "name_zh": "渠道", "name_en": "Channel", "stage_set": "channel"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // A new record of the type starts at its set's first stage with its win rate.
    let r = rep_api
        .post(
            "/api/v1/opportunities",
            json!({"name": "渠道单", "account_id": account.id, "record_type": "channel"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let deal = r.json();
    assert_eq!(
        (deal["stage"].clone(), deal["win_rate"].as_f64()),
        (json!("recruit"), Some(5.0))
    );
    let deal_id = deal["id"].as_str().unwrap().to_string();
    // A stage outside the record's set is refused, one of it is taken with its rate.
    let r = rep_api
        .patch(
            &format!("/api/v1/opportunities/{deal_id}"),
            json!({"stage": "proposal"}),
            &format!("\"{}\"", deal["version"]),
        )
        .await;
    assert_eq!(field_codes(&r), [("stage".into(), "invalid_choice".into())]);
    let r = rep_api
        .patch(
            &format!("/api/v1/opportunities/{deal_id}"),
            json!({"stage": "signed", "win_reason": "relationship", "close_lessons": "渠道关系"}),
            &format!("\"{}\"", deal["version"]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["win_rate"].as_f64(), Some(100.0));
    assert_eq!(
        r.json()["closed_on"],
        json!("2026-11-23"),
        "a won stage of the set closes the deal"
    );
    let r = rep_api
        .patch(
            &format!("/api/v1/opportunities/{deal_id}"),
            json!({"amount": "800"}),
            &format!("\"{}\"", r.json()["version"]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rollup = rep_api
        .get(&format!("/api/v1/accounts/{}/rollup", account.id))
        .await
        .json();
    assert_eq!(
        rollup["amounts"][0]["won_amount"],
        json!("800.00"),
        "{rollup}"
    );
    // A record of no type cannot take the channel set's stages.
    let r = rep_api
        .post(
            "/api/v1/opportunities",
            json!({"name": "标准单", "account_id": account.id, "stage": "recruit"}),
        )
        .await;
    assert_eq!(field_codes(&r), [("stage".into(), "invalid_choice".into())]);
    // The field lists every set's stages, for filters.
    let fields = rep_api.get("/api/v1/opportunities/fields").await.json();
    let stage = fields["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == "stage")
        .unwrap()
        .clone();
    let keys: Vec<&str> = stage["options"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["key"].as_str())
        .collect();
    assert!(
        keys.contains(&"negotiation") && keys.contains(&"recruit"),
        "{keys:?}"
    );
    let r = rep_api
        .get("/api/v1/opportunities?filter=stage:eq:signed")
        .await;
    assert_eq!(
        r.json()["items"].as_array().map(Vec::len),
        Some(1),
        "{}",
        r.body
    );
    let mut browser = env.browser();
    browser.login("rep@stages.example").await;
    let form = browser.get(&format!("/opportunities/{deal_id}/edit")).await;
    form.assert_contains("签约");
    assert!(
        !form.body.contains("value=\"negotiation\""),
        "the form offers the type's stages"
    );
}
