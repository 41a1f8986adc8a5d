//! Converting a lead into an account, a contact and an opportunity (one transaction, through
//! the record engine; activities move with it; never twice), the duplicate check before it
//! (matches a rep may open to link, others only as "owned by X"), disqualification with a
//! reason from the company's list, who may do what (rep, manager), and the pages.

use crate::on_both_databases;
use crate::support::{field_codes, Api, Company, Env};
use app::Actor;
use axum::http::StatusCode;
use serde_json::{json, Value};

on_both_databases!(
    conversion_creates_what_the_lead_becomes_and_moves_its_activities,
    conversion_offers_duplicates_and_links_an_existing_account,
    conversion_is_one_transaction_within_the_converters_scope,
    disqualifying_needs_a_reason_from_the_list,
    conversion_and_disqualification_pages
);

struct Team {
    c: Company,
    manager: Actor,
    rep: Actor,
    /// A rep of another department: outside the first rep's and the manager's scope.
    outsider: Actor,
}

async fn team(env: &Env) -> Team {
    let c = env.company("转化公司", "admin@conv.example").await;
    let east = env.department(&c, "华东销售部", None).await;
    let west = env.department(&c, "华西销售部", None).await;
    let manager = env
        .user(
            &c,
            "manager@conv.example",
            "sales_manager",
            Some(east),
            None,
        )
        .await;
    let rep = env
        .user(
            &c,
            "rep@conv.example",
            "sales_rep",
            Some(east),
            Some(manager.id()),
        )
        .await;
    let outsider = env
        .user(&c, "outsider@conv.example", "sales_rep", Some(west), None)
        .await;
    Team {
        c,
        manager,
        rep,
        outsider,
    }
}

async fn api(env: &Env, actor: &Actor) -> Api {
    env.api(&env.token(actor).await)
}

#[track_caller]
fn ok(r: &crate::support::Response) -> Value {
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
}

async fn created(api: &Api, path: &str, body: Value) -> String {
    let r = api.post(path, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.json()["id"].as_str().expect("id").to_string()
}

async fn lead(api: &Api) -> String {
    created(
        api,
        "/api/v1/leads",
        json!({ "name": "王伟", "company": "杭州云帆科技有限公司", "mobile": "13800138000",
                "phone": "0571 8888 0000", "email": "Wang@yunfan.cn", "source": "web", "city": "杭州" }),
    )
    .await
}

async fn conversion_creates_what_the_lead_becomes_and_moves_its_activities(env: Env) {
    let t = team(&env).await;
    let rep = api(&env, &t.rep).await;
    let lead = lead(&rep).await;
    let call = created(
        &rep,
        "/api/v1/activities",
        json!({ "kind": "call", "name": "首次电话沟通", "lead_id": lead }),
    )
    .await;

    // The proposal: values from the lead, no duplicates in an empty company.
    let p = ok(&rep.get(&format!("/api/v1/leads/{lead}/conversion")).await);
    assert_eq!(p["account"]["name"], "杭州云帆科技有限公司");
    assert_eq!(p["account"]["city"], "杭州");
    assert_eq!(p["contact"]["name"], "王伟");
    assert_eq!(p["contact"]["email"], "wang@yunfan.cn");
    assert_eq!(p["opportunity"]["source"], "web");
    assert_eq!(p["matches"]["accounts"], json!([]));
    assert_eq!(p["matches"]["contacts"], json!([]));

    let done = ok(&rep
        .post(
            &format!("/api/v1/leads/{lead}/convert"),
            json!({ "account": { "create": { "grade": "A" } }, "contact": { "create": { "title": "CTO" } },
                    "opportunity": { "name": "云帆 CRM 项目", "amount": "50000" } }),
        )
        .await);
    let account = done["account_id"].as_str().expect("account").to_string();
    let contact = done["contact_id"].as_str().expect("contact").to_string();
    let deal = done["opportunity_id"]
        .as_str()
        .expect("opportunity")
        .to_string();

    let a = ok(&rep.get(&format!("/api/v1/accounts/{account}")).await);
    assert_eq!(
        (a["name"].as_str(), a["grade"].as_str(), a["phone"].as_str()),
        (
            Some("杭州云帆科技有限公司"),
            Some("A"),
            Some("+86 571 8888 0000")
        )
    );
    let ct = ok(&rep.get(&format!("/api/v1/contacts/{contact}")).await);
    assert_eq!(ct["account_id"], account.as_str());
    assert_eq!(ct["title"], "CTO");
    assert_eq!(ct["mobile"], "+86 138 0013 8000");
    let o = ok(&rep.get(&format!("/api/v1/opportunities/{deal}")).await);
    assert_eq!(
        (o["account_id"].as_str(), o["contact_id"].as_str()),
        (Some(account.as_str()), Some(contact.as_str()))
    );
    // Created through the engine: found by the search like any record.
    let found = ok(&rep.get("/api/v1/accounts?q=云帆科技").await);
    assert_eq!(found["items"][0]["id"], account.as_str());

    // The lead keeps what it became.
    let l = ok(&rep.get(&format!("/api/v1/leads/{lead}")).await);
    assert_eq!(l["status"], "converted");
    assert_eq!(l["converted_account_id"], account.as_str());
    assert_eq!(l["converted_contact_id"], contact.as_str());
    assert_eq!(l["converted_opportunity_id"], deal.as_str());
    assert_eq!(l["converted_by"], t.rep.id().to_string());
    assert!(l["converted_at"].is_string());

    // Its activity moved to the account and contact (and the deal).
    let act = ok(&rep.get(&format!("/api/v1/activities/{call}")).await);
    assert_eq!(act["lead_id"], lead.as_str());
    assert_eq!(act["account_id"], account.as_str());
    assert_eq!(act["contact_id"], contact.as_str());
    assert_eq!(act["opportunity_id"], deal.as_str());
    let stream = ok(&rep
        .get(&format!("/api/v1/accounts/{account}/timeline"))
        .await);
    assert!(stream.to_string().contains("首次电话沟通"), "{stream}");

    // Never twice, and never disqualified after; nor set converted by hand.
    let again = rep
        .post(
            &format!("/api/v1/leads/{lead}/convert"),
            json!({ "account": { "create": {} }, "contact": { "create": {} } }),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert_eq!(again.json()["error"]["code"], "already_converted");
    assert!(again.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("already converted"));
    let disq = rep
        .post(
            &format!("/api/v1/leads/{lead}/disqualify"),
            json!({ "reason": "no_need" }),
        )
        .await;
    assert_eq!(disq.status, StatusCode::CONFLICT, "{}", disq.body);
    let back = rep
        .patch(
            &format!("/api/v1/leads/{lead}"),
            json!({ "status": "new" }),
            "*",
        )
        .await;
    assert_eq!(
        field_codes(&back),
        [("status".to_string(), "already_converted".to_string())]
    );
    let other = lead_named(&rep, "李娜").await;
    let by_hand = rep
        .patch(
            &format!("/api/v1/leads/{other}"),
            json!({ "status": "converted" }),
            "*",
        )
        .await;
    assert_eq!(
        field_codes(&by_hand),
        [("status".to_string(), "convert_instead".to_string())]
    );
    // The account a lead became is still referred to by it.
    let _ = t.c;
}

async fn lead_named(api: &Api, name: &str) -> String {
    created(api, "/api/v1/leads", json!({ "name": name })).await
}

async fn conversion_offers_duplicates_and_links_an_existing_account(env: Env) {
    let t = team(&env).await;
    let rep = api(&env, &t.rep).await;
    let outsider = api(&env, &t.outsider).await;
    // The rep's own account under the legal name's short form; the outsider's account with
    // the lead's phone, and the outsider's contact with the lead's e-mail.
    let mine = created(&rep, "/api/v1/accounts", json!({ "name": "杭州云帆科技" })).await;
    let theirs = created(
        &outsider,
        "/api/v1/accounts",
        json!({ "name": "云帆（杭州）贸易", "phone": "+86 571 8888 0000" }),
    )
    .await;
    created(
        &outsider,
        "/api/v1/contacts",
        json!({ "name": "王先生", "email": "WANG@yunfan.cn", "account_id": theirs }),
    )
    .await;
    created(
        &rep,
        "/api/v1/accounts",
        json!({ "name": "毫不相干有限公司" }),
    )
    .await;
    let lead = lead(&rep).await;

    let p = ok(&rep.get(&format!("/api/v1/leads/{lead}/conversion")).await);
    let accounts = p["matches"]["accounts"]
        .as_array()
        .expect("accounts")
        .clone();
    assert_eq!(accounts.len(), 2, "{accounts:?}");
    assert_eq!(accounts[0]["id"], mine.as_str());
    assert_eq!(accounts[0]["can_link"], true);
    assert_eq!(accounts[0]["fields"], json!(["name"]));
    // What the rep may not open: whose it is, nothing else.
    let hidden = &accounts[1];
    assert_eq!(hidden["can_link"], false);
    assert_eq!(hidden["owner_name"], "outsider");
    assert_eq!(hidden["fields"], json!(["phone"]));
    assert!(
        hidden.get("id").is_none() && hidden.get("name").is_none(),
        "{hidden}"
    );
    assert!(!p.to_string().contains(&theirs) && !p.to_string().contains("贸易"));
    let contacts = p["matches"]["contacts"]
        .as_array()
        .expect("contacts")
        .clone();
    assert_eq!(contacts.len(), 1);
    assert_eq!(
        (
            contacts[0]["owner_name"].as_str(),
            contacts[0]["can_link"].as_bool()
        ),
        (Some("outsider"), Some(false))
    );
    assert!(!p.to_string().contains("王先生"));

    // Linking to what the rep cannot see is refused and creates nothing.
    let before = env.account_count(t.c.tenant_id).await;
    let refused = rep
        .post(
            &format!("/api/v1/leads/{lead}/convert"),
            json!({ "account": { "link": theirs }, "contact": { "create": {} } }),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert_eq!(
        field_codes(&refused),
        [("account.link".to_string(), "invalid_reference".to_string())]
    );

    // Linking the rep's own account: no account is created, no opportunity asked for.
    let done = ok(&rep
        .post(
            &format!("/api/v1/leads/{lead}/convert"),
            json!({ "account": { "link": mine }, "contact": { "create": {} }, "opportunity": null }),
        )
        .await);
    assert_eq!(done["account_id"], mine.as_str());
    assert!(done["opportunity_id"].is_null());
    assert_eq!(env.account_count(t.c.tenant_id).await, before);
    let contact = done["contact_id"].as_str().expect("contact");
    let ct = ok(&rep.get(&format!("/api/v1/contacts/{contact}")).await);
    assert_eq!(ct["account_id"], mine.as_str());
    let l = ok(&rep.get(&format!("/api/v1/leads/{lead}")).await);
    assert!(l["converted_opportunity_id"].is_null());
}

async fn conversion_is_one_transaction_within_the_converters_scope(env: Env) {
    let t = team(&env).await;
    let rep = api(&env, &t.rep).await;
    let manager = api(&env, &t.manager).await;
    let outsider = api(&env, &t.outsider).await;
    let lead = lead(&rep).await;

    // Outside the caller's scope: 404 for the check and the conversion alike.
    let body = json!({ "account": { "create": {} }, "contact": { "create": {} } });
    let seen = outsider
        .get(&format!("/api/v1/leads/{lead}/conversion"))
        .await;
    assert_eq!(seen.status, StatusCode::NOT_FOUND);
    let r = outsider
        .post(&format!("/api/v1/leads/{lead}/convert"), body.clone())
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = outsider
        .post(
            &format!("/api/v1/leads/{lead}/disqualify"),
            json!({ "reason": "no_need" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // A contact the engine refuses leaves no account behind.
    let before = env.account_count(t.c.tenant_id).await;
    let bad = manager
        .post(
            &format!("/api/v1/leads/{lead}/convert"),
            json!({ "account": { "create": { "name": "新客户" } }, "contact": { "create": { "email": "not-an-email" } } }),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert_eq!(
        field_codes(&bad),
        [("contact.email".to_string(), "invalid_email".to_string())]
    );
    assert_eq!(env.account_count(t.c.tenant_id).await, before);
    let l = ok(&rep.get(&format!("/api/v1/leads/{lead}")).await);
    assert_eq!(l["status"], "new");
    // An unknown field of a part is named in it.
    let unknown = manager
        .post(
            &format!("/api/v1/leads/{lead}/convert"),
            json!({ "account": { "create": { "colour": "red" } }, "contact": { "create": {} } }),
        )
        .await;
    assert_eq!(
        field_codes(&unknown),
        [("account.colour".to_string(), "unknown_field".to_string())]
    );

    // The manager converts the team member's lead; what it becomes stays the rep's.
    let done = ok(&manager
        .post(&format!("/api/v1/leads/{lead}/convert"), body)
        .await);
    let account = done["account_id"].as_str().expect("account");
    let a = ok(&rep.get(&format!("/api/v1/accounts/{account}")).await);
    assert_eq!(a["owner_id"], t.rep.id().to_string());
    let l = ok(&rep.get(&format!("/api/v1/leads/{lead}")).await);
    assert_eq!(l["converted_by"], t.manager.id().to_string());
    assert_eq!(env.account_count(t.c.tenant_id).await, before + 1);
}

async fn disqualifying_needs_a_reason_from_the_list(env: Env) {
    let t = team(&env).await;
    let rep = api(&env, &t.rep).await;
    let lead = lead_named(&rep, "赵敏").await;
    let path = format!("/api/v1/leads/{lead}/disqualify");
    let bad = rep.post(&path, json!({ "reason": "bogus" })).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert_eq!(
        field_codes(&bad),
        [("reason".to_string(), "invalid_choice".to_string())]
    );
    let none = rep.post(&path, json!({ "note": "没有原因" })).await;
    assert_eq!(
        field_codes(&none),
        [("reason".to_string(), "required".to_string())]
    );
    let l = ok(&rep.get(&format!("/api/v1/leads/{lead}")).await);
    assert_eq!(l["status"], "new");
    assert!(l["disqualify_note"].is_null());

    let done = ok(&rep
        .post(
            &path,
            json!({ "reason": "no_budget", "note": "明年再联系" }),
        )
        .await);
    assert_eq!(done["status"], "disqualified");
    assert_eq!(done["disqualify_reason"], "no_budget");
    assert_eq!(done["disqualify_note"], "明年再联系");
    // A hand-set status of disqualified needs a reason too.
    let other = lead_named(&rep, "周芷若").await;
    let by_hand = rep
        .patch(
            &format!("/api/v1/leads/{other}"),
            json!({ "status": "disqualified" }),
            "*",
        )
        .await;
    assert_eq!(
        field_codes(&by_hand),
        [("disqualify_reason".to_string(), "required".to_string())]
    );

    // The reasons are the company's: an administrator retires one, and it is refused.
    let admin = api(&env, &t.c.admin).await;
    let fields = ok(&admin.get("/api/v1/leads/fields").await);
    let reason = fields["items"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["key"] == "disqualify_reason"))
        .cloned()
        .expect("the reason field");
    let kept: Vec<Value> = reason["options"]
        .as_array()
        .expect("options")
        .iter()
        .filter(|o| o["key"] != "unreachable")
        .cloned()
        .collect();
    let r = admin
        .call(
            axum::http::Method::PATCH,
            "/api/v1/leads/fields/disqualify_reason",
            Some(json!({ "options": kept })),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let retired = rep
        .post(
            &format!("/api/v1/leads/{other}/disqualify"),
            json!({ "reason": "unreachable" }),
        )
        .await;
    assert_eq!(
        field_codes(&retired),
        [("reason".to_string(), "invalid_choice".to_string())]
    );

    // A disqualified lead goes back to a pool by the return path.
    let back = rep
        .post(
            &format!("/api/v1/leads/{lead}/return"),
            json!({ "reason": "no_need" }),
        )
        .await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.body);
    let pooled = crate::pools::pool_of(
        &env,
        domain::permissions::ObjectKind::Lead,
        t.c.tenant_id,
        uuid::Uuid::parse_str(&lead).expect("id"),
    )
    .await;
    assert!(pooled.is_some());
}

async fn conversion_and_disqualification_pages(env: Env) {
    let t = team(&env).await;
    let rep = api(&env, &t.rep).await;
    let outsider = api(&env, &t.outsider).await;
    created(
        &outsider,
        "/api/v1/accounts",
        json!({ "name": "杭州云帆科技股份有限公司" }),
    )
    .await;
    let lead = lead(&rep).await;
    let mut b = env.browser();
    b.login("rep@conv.example").await;

    let show = b.get(&format!("/leads/{lead}")).await;
    show.assert_contains("id=\"convert-record\"");
    show.assert_contains("id=\"disqualify-record\"");
    let page = b.get(&format!("/leads/{lead}/convert")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.assert_contains("value=\"杭州云帆科技有限公司\"");
    page.assert_contains("负责人：outsider");
    assert!(
        !page.body.contains("股份有限公司"),
        "the hidden match's name leaks"
    );

    // A refused part shows the page again with its error, creating nothing.
    let before = env.account_count(t.c.tenant_id).await;
    let bad = b
        .post(
            &format!("/leads/{lead}/convert"),
            &[
                ("account_choice", "create"),
                ("contact_choice", "create"),
                ("opportunity_choice", "none"),
                ("account.name", "云帆"),
                ("contact.name", "王伟"),
                ("contact.email", "bad"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    bad.assert_contains("class=\"field invalid\"");
    assert_eq!(env.account_count(t.c.tenant_id).await, before);

    let done = b
        .post(
            &format!("/leads/{lead}/convert"),
            &[
                ("account_choice", "create"),
                ("contact_choice", "create"),
                ("opportunity_choice", "none"),
                ("account.name", "杭州云帆科技有限公司"),
                ("contact.name", "王伟"),
                ("contact.title", "总经理"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(
        done.location(),
        format!("/leads/{lead}?notice=lead_converted")
    );
    let after = b.get(&done.location()).await;
    after.assert_contains("id=\"converted-panel\"");
    after.assert_contains("线索已转化");
    assert!(!after.body.contains("id=\"convert-record\""));
    let l = ok(&rep.get(&format!("/api/v1/leads/{lead}")).await);
    let account = l["converted_account_id"].as_str().expect("account");
    after.assert_contains(&format!("/accounts/{account}"));
    assert!(l["converted_opportunity_id"].is_null());
    let again = b.get(&format!("/leads/{lead}/convert")).await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    // Disqualify from its page.
    let other = lead_named(&rep, "张三").await;
    let form = b.get(&format!("/leads/{other}/disqualify")).await;
    form.assert_contains("无预算");
    let missing = b
        .post(&format!("/leads/{other}/disqualify"), &[("reason", "")])
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok_page = b
        .post(
            &format!("/leads/{other}/disqualify"),
            &[("reason", "no_budget"), ("note", "预算不足")],
        )
        .await;
    assert_eq!(ok_page.status, StatusCode::SEE_OTHER, "{}", ok_page.body);
    let shown = b.get(&ok_page.location()).await;
    shown.assert_contains("无预算");
    shown.assert_contains("预算不足");
}
