//! The import pages: the list's "Import" entry, the upload, the setup (columns matched by
//! their Chinese headers, the mapping remembered for the next file, the preview with a
//! cell's error), the progress page polled until done, the error file, the history and undo,
//! in both languages; and the upload's own errors.

use crate::imports::multipart;
use crate::on_both_databases;
use crate::support::{Browser, Env};
use axum::http::StatusCode;

on_both_databases!(import_pages_from_upload_to_undo, import_page_errors);

async fn upload(
    b: &mut Browser,
    plural: &str,
    name: &str,
    bytes: &[u8],
) -> crate::support::Response {
    let (kind, body) = multipart(&[], Some((name, bytes)));
    let token = b.csrf();
    b.post_multipart(&format!("/{plural}/import"), &token, &kind, body)
        .await
}

async fn import_pages_from_upload_to_undo(env: Env) {
    let c = env.company("页面导入", "admin@pages.example").await;
    let mut b = env.browser();
    b.login("admin@pages.example").await;
    let list = b.get("/leads").await;
    list.assert_contains("href=\"/leads/import\"");
    let form = b.get("/leads/import").await;
    assert_eq!(form.status, StatusCode::OK);
    form.assert_contains("enctype=\"multipart/form-data\"");
    let csv = "姓名,公司名称,邮箱,随便一列\n甲,甲公司,jia@pages.example,x\n乙,乙公司,坏邮箱,y\n";
    let r = upload(&mut b, "leads", "线索.csv", csv.as_bytes()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let setup = r.location();
    assert!(setup.ends_with("/setup"), "{setup}");
    let page = b.get(&setup).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // Matched by their Chinese headers; the unknown column is not imported.
    page.assert_contains("<option value=\"name\" selected>");
    page.assert_contains("<option value=\"company\" selected>");
    page.assert_contains("<option value=\"email\" selected>");
    // The preview shows the rows as stored, and the bad e-mail's error in its cell.
    page.assert_contains("jia@pages.example");
    page.assert_contains("邮箱");
    assert!(page.body.contains("class=\"invalid\""), "{}", page.body);
    // Nothing was stored by the preview.
    let token = env.token(&c.admin).await;
    let api = env.api(&token);
    let none = api.get("/api/v1/leads").await.json();
    assert_eq!(none["items"], serde_json::json!([]), "{none}");
    let id = setup
        .trim_end_matches("/setup")
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let r = b
        .post(
            &format!("/imports/{id}/start"),
            &[
                ("column.0", "name"),
                ("column.1", "company"),
                ("column.2", "email"),
                ("column.3", "notes"),
                ("mode", "skip"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), format!("/imports/{id}"));
    let waiting = b.get(&format!("/imports/{id}")).await;
    waiting.assert_contains("hx-trigger=\"every 1s\"");
    env.run_jobs().await;
    let status = b.get_htmx(&format!("/imports/{id}")).await;
    assert!(!status.body.contains("<html"), "a fragment");
    assert!(
        !status.body.contains("hx-trigger"),
        "polling stops once done"
    );
    let done = b.get(&format!("/imports/{id}")).await;
    done.assert_contains("id=\"count-created\">1<");
    done.assert_contains("id=\"count-failed\">1<");
    done.assert_contains(&format!("/imports/{id}/errors.csv"));
    let file = b.get(&format!("/imports/{id}/errors.csv")).await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(file.body.starts_with('\u{feff}'), "BOM");
    assert!(
        file.body.contains("行号") && file.body.contains("坏邮箱"),
        "{}",
        file.body
    );
    let history = b.get("/imports?object=lead").await;
    history.assert_contains("线索.csv");
    // The next file of the same columns gets the mapping chosen last time.
    let r = upload(&mut b, "leads", "again.csv", csv.as_bytes()).await;
    let page = b.get(&r.location()).await;
    page.assert_contains("<option value=\"notes\" selected>");
    // Undo from the page.
    let r = b.post(&format!("/imports/{id}/undo"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let undone = b.get(&format!("/imports/{id}")).await;
    undone.assert_contains("已撤销");
    let after = api.get("/api/v1/leads").await.json();
    assert_eq!(after["items"], serde_json::json!([]), "{after}");
}

async fn import_page_errors(env: Env) {
    env.company("页面错误", "admin@errs.example").await;
    let mut b = env.browser();
    b.login("admin@errs.example").await;
    let r = upload(&mut b, "leads", "a.png", b"\x89PNG\r\n\x1a\n\0\0").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    r.assert_contains("不是 CSV 或 XLSX 文件");
    // Without the form's token, refused, and nothing stored.
    let (kind, body) = multipart(&[], Some(("a.csv", b"a,b\n1,2\n")));
    let r = b
        .post_multipart("/leads/import", "forged", &kind, body)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let history = b.get("/imports").await;
    history.assert_contains("id=\"imports-empty\"");
    let r = b.get(&format!("/imports/{}", uuid::Uuid::now_v7())).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
