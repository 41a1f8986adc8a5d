//! The export pages: the list's "Export" action carries the list as shown (view, filters,
//! sort), the progress page is polled until done and then links the file, which holds the
//! filtered rows with Chinese headers; "my exports" lists it; bad formats, filters and views
//! are translated errors that create nothing, and someone else's export is not found.

use crate::on_both_databases;
use crate::support::Env;
use axum::http::StatusCode;
use domain::permissions::ObjectKind;

on_both_databases!(
    a_filtered_list_is_exported_from_its_page,
    export_page_errors
);

async fn a_filtered_list_is_exported_from_its_page(env: Env) {
    let c = env.company("页面导出", "admin@pages.example").await;
    for (name, source) in [("甲", "web"), ("乙", "phone"), ("丙", "web")] {
        let input: app::records::Input = [("name", name), ("source", source)]
            .iter()
            .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
            .collect();
        app::records::create(&env.app, &c.admin, ObjectKind::Lead, &input)
            .await
            .expect("lead");
    }
    let mut b = env.browser();
    b.login("admin@pages.example").await;
    let list = b
        .get("/leads?edited=1&sort=name&ff=source&fo=eq&fv=web")
        .await;
    list.assert_contains("action=\"/leads/export\"");
    list.assert_contains("name=\"ff\" value=\"source\"");
    let r = b
        .post(
            "/leads/export",
            &[
                ("view", "all"),
                ("edited", "1"),
                ("sort", "name"),
                ("ff", "source"),
                ("fo", "eq"),
                ("fv", "web"),
                ("format", "csv"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page_url = r.location();
    assert!(page_url.starts_with("/exports/"), "{page_url}");
    let waiting = b.get(&page_url).await;
    waiting.assert_contains("hx-trigger=\"every 1s\"");
    env.run_jobs().await;
    let status = b.get_htmx(&page_url).await;
    assert_eq!(status.status, StatusCode::OK);
    assert!(!status.body.contains("<html"), "a fragment for htmx");
    status.assert_contains("id=\"export-download\"");
    let file = b.get(&format!("{page_url}/file")).await;
    assert_eq!(file.status, StatusCode::OK, "{}", file.body);
    assert!(file
        .headers
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("leads-") && v.ends_with(".csv\"")));
    let text = file.body.trim_start_matches('\u{feff}');
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("姓名,"), "Chinese headers: {text}");
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[1].starts_with("丙,") && lines[2].starts_with("甲,"),
        "{text}"
    );
    assert!(
        lines[1].contains("官网"),
        "choices by their Chinese label: {text}"
    );
    let mine = b.get("/exports").await;
    mine.assert_contains(&format!("href=\"{page_url}/file\""));

    // Another user does not find it.
    env.user(&c, "rep@pages.example", "sales_rep", None, None)
        .await;
    let mut other = env.browser();
    other.login("rep@pages.example").await;
    assert_eq!(other.get(&page_url).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        other.get(&format!("{page_url}/file")).await.status,
        StatusCode::NOT_FOUND
    );
    // The rep may not export by default: no action on the list, and a post is refused.
    let list = other.get("/leads").await;
    assert!(!list.body.contains("action=\"/leads/export\""));
    let r = other.post("/leads/export", &[("format", "csv")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

async fn export_page_errors(env: Env) {
    let c = env.company("页面导出", "admin@pages.example").await;
    let mut b = env.browser();
    b.login("admin@pages.example").await;
    for fields in [
        vec![("format", "pdf")],
        vec![
            ("format", "csv"),
            ("edited", "1"),
            ("ff", "planet"),
            ("fo", "eq"),
            ("fv", "x"),
        ],
        vec![("format", "csv"), ("view", "nope")],
    ] {
        let r = b.post("/accounts/export", &fields).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{fields:?}: {}",
            r.body
        );
        assert!(r.body.contains("<html"), "a page");
    }
    assert_eq!(
        b.get(&format!("/exports/{}", uuid::Uuid::now_v7()))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(b.get("/exports/x").await.status, StatusCode::NOT_FOUND);
    let api = env.api(&env.token(&c.admin).await);
    assert_eq!(
        api.get("/api/v1/exports").await.json()["items"],
        serde_json::json!([])
    );
    b.get("/exports")
        .await
        .assert_contains("id=\"exports-empty\"");
}
