//! What every page shares, on both databases: whole pages for fragment URLs opened directly,
//! the navigation on "not found", the favicon, the lookup's combobox markup, record pages
//! laid out alike, one list design and one form for every object, activity forms by kind, and the
//! custom-fields admin URLs in the plural.

use crate::on_both_databases;
use crate::support::{Env, Response};
use axum::http::StatusCode;

on_both_databases!(
    fragment_urls_opened_directly_give_whole_pages,
    not_found_pages_keep_the_navigation,
    favicon_is_linked_and_served,
    lookups_are_comboboxes_with_a_listbox_of_options,
    record_pages_keep_an_empty_history_out_of_the_way,
    accounts_use_the_shared_list,
    accounts_use_the_shared_form_and_lookup,
    activity_forms_show_the_fields_of_their_kind,
    custom_field_admin_urls_use_the_plural
);

/// Asserts that a response is a whole page in `lang`: doctype, title, language, navigation.
#[track_caller]
fn assert_whole_page(r: &Response, lang: &str) {
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.trim_start().starts_with("<!doctype html>"),
        "not a whole page:\n{}",
        r.body
    );
    r.assert_contains(&format!("<html lang=\"{lang}\">"));
    r.assert_contains("<title>");
    r.assert_contains("class=\"mainnav\"");
}

/// The opening tag of the form control wrapper that holds `id="f-<key>"`.
fn wrapper_of<'a>(body: &'a str, key: &str) -> &'a str {
    let at = body
        .find(&format!("id=\"f-{key}\""))
        .unwrap_or_else(|| panic!("no control f-{key}"));
    let start = body[..at]
        .rfind("class=\"field")
        .unwrap_or_else(|| panic!("no wrapper of f-{key}"));
    let end = start + body[start..].find('>').expect("tag end");
    &body[start..end]
}

async fn fragment_urls_opened_directly_give_whole_pages(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let account = env.account(&c.admin, "深圳华为技术有限公司").await;
    let id = account.id;
    let mut b = env.browser();
    b.login("admin@a.example").await;

    // The field history's "more" link: a fragment for htmx, the account page otherwise.
    let fragment = b.get_htmx(&format!("/accounts/{id}/history")).await;
    assert_eq!(fragment.status, StatusCode::OK);
    assert!(!fragment.body.contains("<title>"), "{}", fragment.body);
    let page = b.get(&format!("/accounts/{id}/history")).await;
    assert_whole_page(&page, "zh-CN");
    page.assert_contains("深圳华为技术有限公司");
    page.assert_contains("id=\"history\"");

    // The stream's "more" link: the account page with the stream starting there.
    let cursor = format!(
        "{}_{}",
        chrono::Utc::now().timestamp_micros() + 60_000_000,
        uuid::Uuid::nil().simple()
    );
    let more = format!("/accounts/{id}/timeline?before={cursor}&kind=contact");
    let fragment = b.get_htmx(&more).await;
    assert!(!fragment.body.contains("<title>"), "{}", fragment.body);
    let r = b.get(&more).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        r.location()
            .starts_with(&format!("/accounts/{id}?before={cursor}&kind=contact")),
        "{}",
        r.location()
    );
    let page = b
        .get(&format!("/accounts/{id}?before={cursor}&kind=contact"))
        .await;
    assert_whole_page(&page, "zh-CN");
    page.assert_contains("id=\"timeline\"");
    // A kind chosen without htmx shows the account page filtered to it.
    let r = b
        .get(&format!("/accounts/{id}/timeline?kind=contact"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = b.get(&r.location()).await;
    assert_whole_page(&page, "zh-CN");
    page.assert_contains("href=\"/accounts/");
    page.assert_contains(
        "kind=contact\" hx-target=\"#timeline-body\" hx-swap=\"outerHTML\" aria-current=\"page\"",
    );
    let r = b.get(&format!("/accounts/{id}?before=garbage")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Lookup suggestions and filter rows belong to a list: opened directly, the list.
    for (path, list) in [
        (
            "/contacts/lookup?field=account_id&q=%E5%8D%8E%E4%B8%BA",
            "/contacts",
        ),
        (
            "/accounts/lookup?field=parent_id&q=%E5%8D%8E%E4%B8%BA",
            "/accounts",
        ),
        ("/contacts/filter-row?ff=name", "/contacts"),
        ("/accounts/filter-row?ff=grade", "/accounts"),
    ] {
        let fragment = b.get_htmx(path).await;
        assert_eq!(fragment.status, StatusCode::OK, "{path}");
        assert!(!fragment.body.contains("<title>"), "{path}");
        let r = b.get(path).await;
        assert_eq!(
            (r.status, r.location()),
            (StatusCode::SEE_OTHER, list.into()),
            "{path}"
        );
    }

    // A next page of a list opened directly is the whole list page.
    let page = b
        .get("/accounts?view=all&sort=name&edited=1&cursor=zz")
        .await;
    assert!(page.body.contains("<title>"), "{}", page.body);

    // In English, too.
    let mut en = env.browser();
    en.accept_language = "en".into();
    en.login("admin@a.example").await;
    let page = en.get(&format!("/accounts/{id}/history")).await;
    assert_whole_page(&page, "en");
    page.assert_contains("Field history");
}

async fn not_found_pages_keep_the_navigation(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let _ = c;
    let mut anonymous = env.browser();
    let r = anonymous.get("/no/such/page").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    r.assert_contains("此地址没有页面。");
    r.assert_contains("<html lang=\"zh-CN\">");
    assert!(!r.body.contains("class=\"mainnav\""), "{}", r.body);

    let mut b = env.browser();
    b.login("admin@a.example").await;
    for path in [
        "/no/such/page".to_string(),
        format!("/accounts/{}", uuid::Uuid::now_v7()),
        format!("/contacts/{}", uuid::Uuid::now_v7()),
        "/contacts/not-an-id".to_string(),
    ] {
        let r = b.get(&path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        r.assert_contains("class=\"mainnav\"");
        r.assert_contains("<title>404 · Meridian</title>");
        r.assert_contains("name=\"csrf_token\" value=\"");
        assert!(
            !r.body.contains("name=\"csrf_token\" value=\"\""),
            "{}",
            r.body
        );
    }
    let r = b.get("/no/such/page").await;
    r.assert_contains("此地址没有页面。");
    let r = b.get(&format!("/accounts/{}", uuid::Uuid::now_v7())).await;
    r.assert_contains("记录不存在，或您无权查看。");

    let mut en = env.browser();
    en.accept_language = "en".into();
    en.login("admin@a.example").await;
    let r = en.get("/no/such/page").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    r.assert_contains("There is no page at this address.");
    r.assert_contains("Main navigation");
    // The API keeps its JSON answer.
    let r = en.get("/api/v1/no-such-thing").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.trim_start().starts_with('{'), "{}", r.body);
}

async fn favicon_is_linked_and_served(env: Env) {
    let mut b = env.browser();
    env.company("Acme", "admin@a.example").await;
    let login = b.get("/login").await;
    let link = format!(
        "<link rel=\"icon\" type=\"image/svg+xml\" href=\"/assets/{}/favicon.svg\">",
        env!("CARGO_PKG_VERSION")
    );
    login.assert_contains(&link);
    let icon = b
        .get(&format!(
            "/assets/{}/favicon.svg",
            env!("CARGO_PKG_VERSION")
        ))
        .await;
    assert_eq!(icon.status, StatusCode::OK);
    assert_eq!(
        icon.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("image/svg+xml")
    );
    assert!(icon.body.starts_with("<svg"), "{}", icon.body);
    b.login("admin@a.example").await;
    b.get("/").await.assert_contains(&link);
}

async fn lookups_are_comboboxes_with_a_listbox_of_options(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    env.account(&c.admin, "深圳华为技术有限公司").await;
    let mut b = env.browser();
    b.login("admin@a.example").await;
    // The forms: a labelled combobox controlling an (empty, hidden) listbox.
    for (path, key) in [
        ("/contacts/new", "account_id"),
        ("/accounts/new", "parent_id"),
    ] {
        let form = b.get(path).await;
        form.assert_contains(&format!("<label for=\"lk-{key}\">"));
        form.assert_contains(&format!(
            "id=\"lk-{key}\" value=\"\" role=\"combobox\" aria-autocomplete=\"list\" aria-expanded=\"false\" aria-controls=\"lr-{key}\""
        ));
        form.assert_contains(&format!(
            "<ul class=\"lookup-results\" id=\"lr-{key}\" role=\"listbox\" aria-label=\"匹配结果\" hidden></ul>"
        ));
    }
    let account = b.get("/accounts").await;
    let id = account
        .body
        .split("href=\"/accounts/")
        .filter_map(|rest| rest.get(..36))
        .find(|id| uuid::Uuid::parse_str(id).is_ok())
        .expect("an account link")
        .to_string();
    b.get(&format!("/accounts/{id}"))
        .await
        .assert_contains("aria-controls=\"lr-to_id\"");
    // The suggestions: options (no buttons inside), the listbox that the combobox controls.
    let list = b
        .get_htmx("/accounts/lookup?field=account_id&q=%E5%8D%8E%E4%B8%BA")
        .await;
    list.assert_contains(
        "<ul class=\"lookup-results\" id=\"lr-account_id\" role=\"listbox\" aria-label=\"匹配结果\">",
    );
    list.assert_contains(&format!(
        "<li role=\"option\" id=\"lo-account_id-1\" aria-selected=\"false\" data-pick-field=\"account_id\" data-pick-id=\"{id}\" data-pick-label=\"深圳华为技术有限公司\">"
    ));
    assert!(!list.body.contains("<button"), "{}", list.body);
    // Nothing found: one disabled option saying so.
    let none = b.get_htmx("/contacts/lookup?field=contact_id&q=zzzz").await;
    none.assert_contains("id=\"lr-contact_id\" role=\"listbox\"");
    none.assert_contains("<li role=\"option\" aria-disabled=\"true\" aria-selected=\"false\" class=\"muted\">无匹配结果</li>");
}

async fn record_pages_keep_an_empty_history_out_of_the_way(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let account = env.account(&c.admin, "深圳华为技术有限公司").await;
    let id = account.id;
    let mut b = env.browser();
    b.login("admin@a.example").await;
    let r = b
        .post(
            "/contacts",
            &[
                ("name", "张伟"),
                ("account_id", &id.to_string()),
                ("title", "采购经理"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let contact = r.location();
    let contact = contact
        .trim_start_matches("/contacts/")
        .split('?')
        .next()
        .expect("id")
        .to_string();
    for path in [format!("/accounts/{id}"), format!("/contacts/{contact}")] {
        let page = b.get(&path).await;
        // No changes yet: the details take the whole width, the history card stays small.
        page.assert_contains("<div class=\"grid2 single\">");
        page.assert_contains("<section class=\"card empty\" id=\"history\">");
        // The quick-log buttons sit in the page's one action bar, with edit and delete.
        let bar = page
            .body
            .split("<div class=\"actions action-bar\">")
            .nth(1)
            .expect("an action bar");
        let bar = &bar[..bar.find("</div>").expect("bar end")];
        assert!(bar.contains("<nav class=\"quick-log\""), "{bar}");
        assert!(bar.contains("kind=visit"), "{bar}");
        assert!(bar.contains("/edit\""), "{bar}");
        assert_eq!(
            page.body.matches("class=\"quick-log\"").count(),
            1,
            "{path}"
        );
    }
    // Related lists have column headers; an empty one is a single line.
    let page = b.get(&format!("/accounts/{id}")).await;
    page.assert_contains(
        "<section class=\"card related empty\" id=\"related-opportunities\" aria-labelledby=\"related-opportunities-title\">",
    );
    let related = page
        .body
        .split("id=\"related-contacts\"")
        .nth(1)
        .expect("related contacts");
    let related = &related[..related.find("</section>").expect("end")];
    assert!(
        related.contains("<thead><tr><th scope=\"col\">姓名</th><th scope=\"col\">职务</th>"),
        "{related}"
    );
    assert!(
        related.contains("<td data-label=\"姓名\"><a href=\"/contacts/"),
        "{related}"
    );
    // Once something changed, the history takes its place beside the details.
    let edit = b.get(&format!("/contacts/{contact}/edit")).await;
    let version = edit
        .body
        .split("name=\"version\" value=\"")
        .nth(1)
        .and_then(|v| v.split('"').next())
        .expect("version")
        .to_string();
    let r = b
        .post(
            &format!("/contacts/{contact}"),
            &[
                ("version", version.as_str()),
                ("name", "张伟"),
                ("account_id", &id.to_string()),
                ("title", "采购总监"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = b.get(&format!("/contacts/{contact}")).await;
    page.assert_contains("<div class=\"grid2\">");
    page.assert_contains("<section class=\"card\" id=\"history\">");
}

async fn accounts_use_the_shared_list(env: Env) {
    env.company("Acme", "admin@a.example").await;
    let mut b = env.browser();
    b.login("admin@a.example").await;
    for (name, grade) in [
        ("深圳华为技术有限公司", "A"),
        ("腾讯科技（深圳）有限公司", "B"),
    ] {
        let r = b
            .post(
                "/accounts",
                &[
                    ("name", name),
                    ("grade", grade),
                    ("account_type", "customer"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let accounts = b.get("/accounts").await;
    let contacts = b.get("/contacts").await;
    // The same list on both: views, the filter builder, sortable headers, the save-view form.
    for (list, plural) in [(&accounts, "accounts"), (&contacts, "contacts")] {
        list.assert_contains("<table class=\"list\" id=\"records\">");
        list.assert_contains("id=\"view-select\"");
        list.assert_contains("id=\"filter-builder\"");
        list.assert_contains("id=\"save-view\"");
        list.assert_contains(&format!(
            "<th scope=\"col\"><a href=\"/{plural}?view=all&#38;sort=name&#38;edited=1\">"
        ));
    }
    assert!(!accounts.body.contains("id=\"account-rows\""));
    accounts.assert_contains("深圳华为技术有限公司");
    accounts.assert_contains("腾讯科技（深圳）有限公司");
    // Sorted by a header: marked for assistive technology.
    let sorted = b.get("/accounts?view=all&sort=-grade&edited=1").await;
    sorted.assert_contains("<th scope=\"col\" aria-sort=\"descending\">");
    let huawei = sorted.body.find("深圳华为技术有限公司").expect("huawei");
    let tencent = sorted
        .body
        .find("腾讯科技（深圳）有限公司")
        .expect("tencent");
    assert!(tencent < huawei, "grade B before A when descending");
    // A parameter named like a field filters on it (the old quick-filter links keep working).
    let a_only = b.get("/accounts?grade=A").await;
    assert_eq!(a_only.status, StatusCode::OK);
    a_only.assert_contains("深圳华为技术有限公司");
    assert!(
        !a_only.body.contains("腾讯科技（深圳）有限公司"),
        "{}",
        a_only.body
    );
    a_only.assert_contains("<input type=\"hidden\" name=\"ff\" value=\"grade\">");
    let r = b.get("/accounts?grade=Z").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_contains("不是允许的选项");
}

async fn accounts_use_the_shared_form_and_lookup(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let api = env.api(&env.token(&c.admin).await);
    let r = api
        .post(
            "/api/v1/accounts/fields",
            serde_json::json!({"key": "employees", "label_zh": "员工人数", "label_en": "Employees", "field_type": "number"}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    let mut b = env.browser();
    b.login("admin@a.example").await;
    // The engine's form, as every object has it: standard and custom fields alike.
    let form = b.get("/accounts/new").await;
    let contact_form = b.get("/contacts/new").await;
    for page in [&form, &contact_form] {
        page.assert_contains("class=\"card form-grid record-form\"");
        page.assert_contains("id=\"save-record\"");
    }
    form.assert_contains("<h1>新建客户</h1>");
    contact_form.assert_contains("<h1>新建联系人</h1>");
    form.assert_contains("name=\"employees\"");
    form.assert_contains("用逗号分隔，如：VIP，重点客户");
    form.assert_contains("<option value=\"customer\" selected>");
    let r = b
        .post(
            "/accounts",
            &[
                ("name", "娃哈哈集团有限公司"),
                ("account_type", "customer"),
                ("city", "杭州"),
                ("tags", "VIP, 重点"),
                ("employees", "3000"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let location = r.location();
    assert!(location.ends_with("?notice=record_created"), "{location}");
    let page = b.get(&location).await;
    page.assert_contains("客户已创建。");
    page.assert_contains("id=\"account-name\"");
    page.assert_contains("<span class=\"tag\">VIP</span>");
    page.assert_contains("3000");
    // Deals point at an account twice (its account, the competitor who won): two lists, two ids.
    assert_eq!(page.body.matches("id=\"related-opportunities\"").count(), 1);
    page.assert_contains("id=\"related-opportunities-lost_to_id\"");
    // A bad value comes back on the same form with what was typed.
    let r = b
        .post("/accounts", &[("name", "坏数据"), ("employees", "很多")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    r.assert_contains("value=\"很多\"");
    r.assert_contains("id=\"save-record\"");
    // The lookup names the account's city under its name, as the object declares.
    let list = b
        .get_htmx("/accounts/lookup?field=parent_id&q=%E5%A8%83%E5%93%88%E5%93%88")
        .await;
    list.assert_contains("娃哈哈集团有限公司");
    list.assert_contains("杭州");
}

async fn activity_forms_show_the_fields_of_their_kind(env: Env) {
    env.company("Acme", "admin@a.example").await;
    let mut b = env.browser();
    b.login("admin@a.example").await;
    let visit = b.get("/activities/new?kind=visit").await;
    for shown in [
        "name",
        "starts_at",
        "ends_at",
        "location",
        "status",
        "account_id",
    ] {
        let tag = wrapper_of(&visit.body, shown);
        assert!(
            !tag.ends_with(" hidden"),
            "{shown} hidden on a visit: {tag}"
        );
    }
    let due = wrapper_of(&visit.body, "due_at");
    assert!(due.ends_with(" hidden"), "{due}");
    assert!(
        due.contains("data-when=\"kind\" data-when-values=\"task\""),
        "{due}"
    );
    let task = b.get("/activities/new?kind=task").await;
    for (key, hidden) in [
        ("due_at", false),
        ("remind_at", false),
        ("location", true),
        ("starts_at", true),
    ] {
        assert_eq!(
            wrapper_of(&task.body, key).ends_with(" hidden"),
            hidden,
            "{key} on a task"
        );
    }
    let note = b.get("/activities/new?kind=note").await;
    for key in [
        "starts_at",
        "ends_at",
        "due_at",
        "remind_at",
        "location",
        "status",
    ] {
        assert!(
            wrapper_of(&note.body, key).ends_with(" hidden"),
            "{key} on a note"
        );
    }
    // A field with an error is shown whatever the kind, so that the error can be read.
    let r = b
        .post(
            "/activities",
            &[
                ("kind", "note"),
                ("name", "x"),
                ("due_at", "not a time"),
                ("status", "open"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(!wrapper_of(&r.body, "due_at").ends_with(" hidden"));
    // Record pages leave out the empty fields that do not apply to the kind.
    for (kind, shown, left_out) in [
        ("task", "due_at", "location"),
        ("visit", "location", "due_at"),
    ] {
        let r = b
            .post(
                "/activities",
                &[("kind", kind), ("name", "跟进"), ("status", "open")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = b.get(&r.location()).await;
        page.assert_contains(&format!("data-field=\"{shown}\""));
        assert!(
            !page.body.contains(&format!("data-field=\"{left_out}\"")),
            "{left_out} on a {kind}"
        );
    }
}

async fn custom_field_admin_urls_use_the_plural(env: Env) {
    env.company("Acme", "admin@a.example").await;
    let mut b = env.browser();
    b.login("admin@a.example").await;
    let r = b.get("/admin/fields").await;
    assert_eq!(r.location(), "/admin/fields/contacts");
    let page = b.get("/admin/fields/opportunities").await;
    assert_eq!(page.status, StatusCode::OK);
    for plural in [
        "accounts",
        "contacts",
        "leads",
        "opportunities",
        "activities",
    ] {
        page.assert_contains(&format!("href=\"/admin/fields/{plural}\""));
    }
    page.assert_contains("href=\"/admin/fields/opportunities/new\"");
    page.assert_contains("action=\"/admin/fields/opportunities/access\"");
    assert!(
        !page.body.contains("/admin/fields/opportunity/"),
        "{}",
        page.body
    );
    b.get("/admin/fields/contacts/new")
        .await
        .assert_contains("action=\"/admin/fields/contacts\"");
    // The old singular URLs lead to the plural ones, forms included (308 keeps the POST).
    for (from, to) in [
        ("/admin/fields/contact", "/admin/fields/contacts"),
        ("/admin/fields/account/new", "/admin/fields/accounts/new"),
        (
            "/admin/fields/lead?notice=field_added",
            "/admin/fields/leads?notice=field_added",
        ),
    ] {
        let r = b.get(from).await;
        assert_eq!(
            (r.status, r.location()),
            (StatusCode::PERMANENT_REDIRECT, to.into()),
            "{from}"
        );
    }
    let r = b.post("/admin/fields/contact/access", &[]).await;
    assert_eq!(
        (r.status, r.location()),
        (
            StatusCode::PERMANENT_REDIRECT,
            "/admin/fields/contacts/access".into()
        )
    );
    assert_eq!(
        b.get("/admin/fields/nothing").await.status,
        StatusCode::NOT_FOUND
    );
}
