//! Web forms (网站表单): a visitor's submission creates a lead through the record engine and
//! the assignment rules (or into the form's pool), seen only by whom it was given to; a
//! honeypot, a body too large, a wrong origin, too many posts from one address (lifted by
//! the clock), bad values and an unknown or inactive form are refused with a translated
//! answer and create nothing. Only administrators keep the forms, on the pages and the API.

use crate::assignment::{notified, rule, stored};
use crate::on_both_databases;
use crate::support::{field_codes, send, Env, Response};
use app::assignment::RuleInput;
use app::web_forms::FormInput;
use app::Actor;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Method, Request};
use domain::web_forms::FormField;
use serde_json::json;
use std::net::SocketAddr;
use uuid::Uuid;

on_both_databases!(
    web_form_submission_creates_a_lead_through_the_rules,
    web_form_refuses_spam_large_bodies_wrong_origins_and_bad_values,
    web_form_rate_limit_per_address_lifts_with_the_clock,
    web_forms_are_kept_by_administrators_only
);

fn field(key: &str, required: bool) -> FormField {
    FormField {
        key: key.into(),
        label_zh: String::new(),
        label_en: String::new(),
        required,
    }
}

fn contact_form() -> FormInput {
    FormInput {
        name: Some("官网咨询".into()),
        fields: Some(vec![
            field("name", true),
            field("company", false),
            field("mobile", false),
            field("email", false),
        ]),
        thanks_zh: Some("谢谢，我们会尽快联系您。".into()),
        thanks_en: Some("Thanks, we will call you.".into()),
        ..FormInput::default()
    }
}

async fn make_form(env: &Env, admin: &Actor, input: FormInput) -> (Uuid, String) {
    let id = app::settings::create::<store::web_forms::WebForm>(&env.app, admin, &input)
        .await
        .expect("create form");
    let form = app::settings::get::<store::web_forms::WebForm>(&env.app, admin, id)
        .await
        .expect("read form");
    (id, form.public_key)
}

/// A visitor's post from `client`, with extra headers.
async fn visit(
    env: &Env,
    key: &str,
    client: &str,
    content_type: &str,
    body: String,
    headers: &[(&str, &str)],
) -> Response {
    let addr: SocketAddr = format!("{client}:40000").parse().expect("address");
    let mut builder = Request::builder()
        .method(Method::POST)
        .uri(format!("/f/{key}"))
        .header(header::CONTENT_TYPE, content_type)
        .extension(ConnectInfo(addr));
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    send(
        &env.router,
        builder.body(Body::from(body)).expect("request"),
    )
    .await
}

async fn post_form(
    env: &Env,
    key: &str,
    fields: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> Response {
    let body = serde_urlencoded::to_string(fields).expect("form");
    visit(
        env,
        key,
        "203.0.113.7",
        "application/x-www-form-urlencoded",
        body,
        headers,
    )
    .await
}

/// The company's leads as its administrator lists them.
async fn lead_names(env: &Env, admin_token: &str) -> Vec<String> {
    let r = env.api(admin_token).get("/api/v1/leads?limit=200").await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|l| l["name"].as_str().map(str::to_string))
        .collect()
}

async fn lead_id(env: &Env, admin_token: &str, name: &str) -> Uuid {
    let r = env.api(admin_token).get("/api/v1/leads?limit=200").await;
    r.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|l| l["name"] == name)
        .and_then(|l| l["id"].as_str())
        .and_then(|s| Uuid::parse_str(s).ok())
        .expect("the lead")
}

async fn web_form_submission_creates_a_lead_through_the_rules(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let teams = env.two_teams(&c).await;
    let admin_token = env.token(&c.admin).await;
    rule(
        &env,
        &c.admin,
        RuleInput {
            name: Some("官网线索给华东".into()),
            method: Some("criteria".into()),
            rep: Some(teams.rep.id().to_string()),
            criteria: Some(vec![crate::assignment::criteria("source", "eq", &["web"])]),
            ..RuleInput::default()
        },
    )
    .await;
    let (form_id, key) = make_form(&env, &c.admin, contact_form()).await;

    // The hosted page shows the fields with the lead's own labels.
    let hosted = env.browser().get(&format!("/f/{key}")).await;
    assert_eq!(hosted.status, 200);
    hosted.assert_contains("name=\"mobile\"");
    hosted.assert_contains("name=\"website_url\"");

    let r = post_form(
        &env,
        &key,
        &[
            ("name", "张三"),
            ("company", "华南机械"),
            ("mobile", "13800138000"),
            ("lang", "zh-CN"),
            ("website_url", ""),
        ],
        &[],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.assert_contains("谢谢，我们会尽快联系您。");
    let id = lead_id(&env, &admin_token, "张三").await;
    let lead = stored(&env, c.tenant_id, id).await;
    assert_eq!(lead.owner, teams.rep.id(), "the rule gave it to the rep");
    assert_eq!(lead.method.as_deref(), Some("criteria"));
    assert!(notified(&env, &teams.rep, id).await);
    let shown = env
        .api(&env.token(&teams.rep).await)
        .get(&format!("/api/v1/leads/{id}"))
        .await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert_eq!(shown.json()["source"], "web");
    let hidden = env
        .api(&env.token(&teams.other).await)
        .get(&format!("/api/v1/leads/{id}"))
        .await;
    assert_eq!(hidden.status, 404, "another team's rep does not see it");
    let events = env
        .api(&admin_token)
        .get("/api/v1/events?object=lead")
        .await;
    assert!(
        events.body.contains("web_form_submitted"),
        "{}",
        events.body
    );
    let form = app::settings::get::<store::web_forms::WebForm>(&env.app, &c.admin, form_id)
        .await
        .expect("form");
    assert_eq!((form.submissions, form.spam), (1, 0));

    // JSON for integrators, answered in English.
    let r = visit(
        &env,
        &key,
        "203.0.113.8",
        "application/json",
        json!({ "name": "Li Si", "email": "li@example.com", "lang": "en" }).to_string(),
        &[],
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["message"], "Thanks, we will call you.");

    // A redirect instead of the text; a form feeding a pool puts its leads there.
    let pool = app::pools::list(
        &env.app,
        &c.admin,
        Some(domain::permissions::ObjectKind::Lead),
    )
    .await
    .expect("pools")[0]
        .pool
        .id;
    let (_, pooled) = make_form(
        &env,
        &c.admin,
        FormInput {
            target: Some(format!("pool:{pool}")),
            redirect_url: Some("https://www.example.com/thanks".into()),
            ..contact_form()
        },
    )
    .await;
    let r = post_form(&env, &pooled, &[("name", "王五")], &[]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location(), "https://www.example.com/thanks");
    let lead = stored(&env, c.tenant_id, lead_id(&env, &admin_token, "王五").await).await;
    assert_eq!(lead.pool, Some(pool));
}

async fn web_form_refuses_spam_large_bodies_wrong_origins_and_bad_values(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let admin_token = env.token(&c.admin).await;
    let (form_id, key) = make_form(
        &env,
        &c.admin,
        FormInput {
            allowed_origins: Some(vec!["https://www.example.com".into()]),
            rate_limit: Some(100),
            ..contact_form()
        },
    )
    .await;
    let from_site = [("origin", "https://www.example.com")];

    // A robot filling the honeypot is thanked, and nothing is created.
    let r = post_form(
        &env,
        &key,
        &[("name", "机器人"), ("website_url", "http://spam.example")],
        &from_site,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(lead_names(&env, &admin_token).await.is_empty());
    let form = app::settings::get::<store::web_forms::WebForm>(&env.app, &c.admin, form_id)
        .await
        .expect("form");
    assert_eq!((form.submissions, form.spam), (0, 1));

    // Too large: 413 in the visitor's language.
    let big = "x".repeat(20 * 1024);
    let zh = post_form(
        &env,
        &key,
        &[("name", &big)],
        &[
            ("origin", "https://www.example.com"),
            ("accept-language", "zh-CN"),
        ],
    )
    .await;
    let en = post_form(
        &env,
        &key,
        &[("name", &big)],
        &[
            ("origin", "https://www.example.com"),
            ("accept-language", "en"),
        ],
    )
    .await;
    assert_eq!((zh.status.as_u16(), en.status.as_u16()), (413, 413));
    zh.assert_contains("提交的内容过大");
    en.assert_contains("too large");

    // Another website, or none named: 403.
    let r = post_form(
        &env,
        &key,
        &[("name", "张三")],
        &[("origin", "https://evil.example")],
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = post_form(&env, &key, &[("name", "张三")], &[]).await;
    assert_eq!(r.status, 403);
    let r = post_form(
        &env,
        &key,
        &[("name", "张三")],
        &[("referer", "https://www.example.com/contact")],
    )
    .await;
    assert_eq!(r.status, 200, "a Referer from the site will do: {}", r.body);

    // Bad values: the lead form's own checks, translated, nothing created.
    let before = lead_names(&env, &admin_token).await.len();
    let zh = post_form(
        &env,
        &key,
        &[
            ("name", "李四"),
            ("email", "not-an-address"),
            ("lang", "zh-CN"),
        ],
        &from_site,
    )
    .await;
    assert_eq!(zh.status, 422, "{}", zh.body);
    zh.assert_contains("不是有效的");
    let en = visit(
        &env,
        &key,
        "203.0.113.9",
        "application/json",
        json!({ "email": "nope", "lang": "en" }).to_string(),
        &from_site,
    )
    .await;
    assert_eq!(en.status, 422);
    let mut codes = field_codes(&en);
    codes.sort();
    assert_eq!(
        codes,
        [("name".to_string(), "required".to_string())],
        "the required field first"
    );
    let nul = post_form(&env, &key, &[("name", "a\u{0}b")], &from_site).await;
    assert_eq!(nul.status, 422);
    assert_eq!(lead_names(&env, &admin_token).await.len(), before);

    // Unknown and inactive forms are 404 alike.
    let unknown = format!("{}_{}", c.tenant_id.simple(), "0".repeat(24));
    assert_eq!(
        post_form(&env, &unknown, &[("name", "x")], &[])
            .await
            .status,
        404
    );
    assert_eq!(
        post_form(&env, "garbage", &[("name", "x")], &[])
            .await
            .status,
        404
    );
    let version = app::settings::get::<store::web_forms::WebForm>(&env.app, &c.admin, form_id)
        .await
        .expect("form")
        .version;
    let off = FormInput {
        active: Some(false),
        ..FormInput::default()
    };
    app::settings::update::<store::web_forms::WebForm>(&env.app, &c.admin, form_id, version, &off)
        .await
        .expect("deactivate");
    assert_eq!(
        post_form(&env, &key, &[("name", "x")], &from_site)
            .await
            .status,
        404
    );
    assert_eq!(env.browser().get(&format!("/f/{key}")).await.status, 404);
}

async fn web_form_rate_limit_per_address_lifts_with_the_clock(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let (_, key) = make_form(
        &env,
        &c.admin,
        FormInput {
            rate_limit: Some(2),
            ..contact_form()
        },
    )
    .await;
    let form = |name: &str| serde_urlencoded::to_string([("name", name)]).expect("form");
    let kind = "application/x-www-form-urlencoded";
    for n in ["一", "二"] {
        assert_eq!(
            visit(&env, &key, "198.51.100.1", kind, form(n), &[])
                .await
                .status,
            200
        );
    }
    let r = visit(
        &env,
        &key,
        "198.51.100.1",
        kind,
        form("三"),
        &[("accept-language", "zh-CN")],
    )
    .await;
    assert_eq!(r.status, 429, "{}", r.body);
    let retry: i64 = r.headers[header::RETRY_AFTER]
        .to_str()
        .expect("text")
        .parse()
        .expect("seconds");
    assert!((1..=600).contains(&retry), "{retry}");
    r.assert_contains("提交次数过多");
    // Another address is not held back.
    assert_eq!(
        visit(&env, &key, "198.51.100.2", kind, form("四"), &[])
            .await
            .status,
        200
    );
    // The next window lets the first address post again.
    env.clock.advance(chrono::Duration::minutes(10));
    assert_eq!(
        visit(&env, &key, "198.51.100.1", kind, form("五"), &[])
            .await
            .status,
        200
    );
}

async fn web_forms_are_kept_by_administrators_only(env: Env) {
    let c = env.company("甲公司", "admin@a.example").await;
    let teams = env.two_teams(&c).await;
    let admin = env.api(&env.token(&c.admin).await);
    let base = "/api/v1/web-forms";

    let bad = admin.post(base, json!({ "name": "", "fields": [{ "key": "owner_id" }, { "key": "nope" }],
        "redirect_url": "javascript:alert(1)", "allowed_origins": ["https://a.example/path"], "target": "team:1",
        "rate_limit": 0, "colour": "red" })).await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert_eq!(
        field_codes(&bad),
        [("colour".to_string(), "unknown_field".to_string())]
    );
    let bad = admin.post(base, json!({ "name": "", "fields": [{ "key": "owner_id" }, { "key": "nope" }],
        "redirect_url": "javascript:alert(1)", "allowed_origins": ["https://a.example/path"], "target": "team:1", "rate_limit": 0 })).await;
    let mut codes = field_codes(&bad);
    codes.sort();
    let f = |a: &str, b: &str| (a.to_string(), b.to_string());
    assert_eq!(
        codes,
        [
            f("allowed_origins", "invalid_origin"),
            f("fields", "lead_field_missing"),
            f("fields.0.key", "not_collectable"),
            f("fields.1.key", "unknown_field"),
            f("name", "required"),
            f("rate_limit", "out_of_range"),
            f("redirect_url", "invalid_url"),
            f("target", "invalid_choice")
        ]
    );
    assert_eq!(
        admin.get(base).await.json()["items"],
        json!([]),
        "nothing was written"
    );

    let made = admin.post(base, json!({ "name": "展会报名", "fields": [{ "key": "name", "required": true, "label_zh": "您的姓名", "label_en": "Your name" }, { "key": "mobile" }] })).await;
    assert_eq!(made.status, 201, "{}", made.body);
    let id = made.json()["id"].as_str().expect("id").to_string();
    assert_eq!(made.json()["source"], "web");
    assert_eq!(made.json()["target"], "rules");
    let path = format!("{base}/{id}");
    let changed = admin
        .patch(&path, json!({ "active": false }), "\"1\"")
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(changed.json()["active"], false);

    // Neither a rep nor a manager who is no administrator.
    for who in [&teams.rep, &teams.manager] {
        let api = env.api(&env.token(who).await);
        assert_eq!(api.get(base).await.status, 403);
        assert_eq!(api.get(&path).await.status, 403);
        assert_eq!(
            api.post(
                base,
                json!({ "name": "x", "fields": [{ "key": "name", "required": true }] })
            )
            .await
            .status,
            403
        );
        let mut browser = env.browser();
        browser.login(&who.user.email).await;
        assert_eq!(browser.get("/admin/web-forms").await.status, 403);
        assert_eq!(
            browser.get(&format!("/admin/web-forms/{id}")).await.status,
            403
        );
    }

    // The admin pages in both languages, with the snippet to copy.
    let mut browser = env.browser();
    browser.login("admin@a.example").await;
    let list = browser.get("/admin/web-forms").await;
    assert_eq!(list.status, 200);
    list.assert_contains("展会报名");
    list.assert_contains("/admin/web-forms");
    let created = browser
        .post(
            "/admin/web-forms",
            &[
                ("name", "官网"),
                ("active", "true"),
                ("target", "rules"),
                ("fk", "name"),
                ("fz", "姓名"),
                ("fe", "Name"),
                ("fr", "true"),
                ("fk", "email"),
                ("fz", ""),
                ("fe", ""),
                ("fr", "false"),
                ("rate_limit", "5"),
                ("source", "web"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let page = browser.get(&created.location()).await;
    assert_eq!(page.status, 200);
    page.assert_contains("&#60;form method=&#34;post&#34; action=&#34;http://");
    page.assert_contains("/f/");
    page.assert_contains("name=&#34;website_url&#34;");
    let english = browser
        .get(&format!("{}&snippet_lang=en", created.location()))
        .await;
    english.assert_contains("E-mail");
    let refused = browser
        .post(
            "/admin/web-forms",
            &[("name", ""), ("fk", "owner_id"), ("fr", "true")],
        )
        .await;
    assert_eq!(refused.status, 422);
    let removed = admin
        .call(Method::DELETE, &path, None, &[("if-match", "\"2\"")])
        .await;
    assert_eq!(removed.status, 204, "{}", removed.body);
}
