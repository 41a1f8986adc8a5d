//! Import of CSV and XLSX files through the API and the job: each encoding (UTF-8, with BOM,
//! GB18030) with Chinese headers and custom fields, XLSX sheets, every kind of row error in
//! the error file in the user's language, the three duplicate modes, a killed import resumed
//! without loss or double rows, undo (allowed and refused), a rep's and a manager's rights,
//! and bad uploads refused with nothing created.

use crate::on_both_databases;
use crate::support::{field_codes, Api, Company, Env};
use app::Actor;
use axum::http::StatusCode;
use serde_json::{json, Value};

on_both_databases!(
    csv_in_every_encoding_with_chinese_headers_and_custom_fields,
    xlsx_sheets_dates_and_numbers,
    every_error_kind_is_in_the_error_file_in_the_users_language,
    duplicates_are_skipped_updated_or_created_by_mode,
    a_killed_import_resumes_without_loss_or_double_rows,
    undo_deletes_what_was_created_while_unchanged,
    a_rep_and_a_manager_import_within_their_rights,
    bad_uploads_are_refused_and_change_nothing
);

/// A multipart body of text parts and one file part.
pub fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----meridian-import-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    if let Some((file_name, bytes)) = file {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Posts an import; answers the response.
pub async fn post_import(
    api: &Api,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> crate::support::Response {
    let (kind, body) = multipart(fields, file);
    api.bytes("/api/v1/imports", &kind, body).await
}

/// Imports `file` as leads in `mode` with the headers matched, runs the jobs, and answers the
/// import as the API shows it once done.
async fn import_leads(env: &Env, api: &Api, name: &str, bytes: &[u8], mode: &str) -> Value {
    let r = post_import(
        api,
        &[("object", "leads"), ("mode", mode)],
        Some((name, bytes)),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let url = r.json()["import"]["url"].as_str().expect("url").to_string();
    assert_eq!(r.location(), url);
    env.run_jobs().await;
    let done = api.get(&url).await.json();
    assert_eq!(done["state"], "done", "{done}");
    done
}

async fn leads(api: &Api) -> Vec<Value> {
    let r = api.get("/api/v1/leads?limit=200").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["items"].as_array().cloned().unwrap_or_default()
}

fn by_name<'a>(leads: &'a [Value], name: &str) -> &'a Value {
    leads
        .iter()
        .find(|l| l["name"] == name)
        .unwrap_or_else(|| panic!("no lead {name} in {leads:?}"))
}

async fn company(env: &Env) -> (Company, Api) {
    let c = env.company("导入公司", "admin@imp.example").await;
    let api = env.api(&env.token(&c.admin).await);
    (c, api)
}

async fn add_custom_fields(env: &Env, c: &Company) {
    for field in [
        json!({"key": "visit_on", "label_zh": "拜访日期", "label_en": "Visit date", "field_type": "date"}),
        json!({"key": "budget", "label_zh": "预算", "label_en": "Budget", "field_type": "money"}),
        json!({"key": "seats", "label_zh": "席位数", "label_en": "Seats", "field_type": "number"}),
    ] {
        let def: domain::fields::FieldDef = serde_json::from_value(field).expect("field");
        app::customize::add_field(
            &env.app,
            &c.admin,
            domain::permissions::ObjectKind::Lead,
            def,
        )
        .await
        .expect("custom field");
    }
}

const CHINESE_CSV: &str = "姓名,公司名称,手机,线索来源,拜访日期,预算,席位数\n\
张三,杭州云帆科技有限公司,138 0013 8000,Website,2026年12月3日,\"¥1,200.50\",\"1,500\"\n";

async fn csv_in_every_encoding_with_chinese_headers_and_custom_fields(env: Env) {
    let (c, api) = company(&env).await;
    add_custom_fields(&env, &c).await;
    let source = domain::objects::spec(domain::permissions::ObjectKind::Lead)
        .and_then(|s| s.field("source"))
        .and_then(|f| f.options.iter().find(|o| o.label_en == "Website"))
        .map(|o| o.key.clone());
    let utf8 = CHINESE_CSV.to_string();
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(utf8.replace("张三", "李四").as_bytes());
    let wang = utf8.replace("张三", "王五");
    let (gbk, _, unmappable) = encoding_rs::GB18030.encode(&wang);
    assert!(!unmappable);
    for (name, file) in [
        ("张三", utf8.as_bytes().to_vec()),
        ("李四", bom),
        ("王五", gbk.into_owned()),
    ] {
        let done = import_leads(&env, &api, "线索.csv", &file, "create").await;
        assert_eq!(done["counts"]["created"], 1, "{name}: {done}");
        assert_eq!(done["counts"]["failed"], 0, "{name}: {done}");
        assert_eq!(done["mapping"]["姓名"], "name", "{done}");
        assert_eq!(done["mapping"]["拜访日期"], "visit_on", "{done}");
        let all = leads(&api).await;
        let lead = by_name(&all, name);
        assert_eq!(lead["company"], "杭州云帆科技有限公司", "{lead}");
        assert_eq!(lead["mobile"], "+86 138 0013 8000", "{lead}");
        assert_eq!(lead["visit_on"], "2026-12-03", "{lead}");
        assert_eq!(lead["budget"], "1200.50", "{lead}");
        assert_eq!(lead["seats"].as_f64(), Some(1500.0), "{lead}");
        if let Some(key) = &source {
            assert_eq!(&lead["source"], key, "{lead}");
        }
        // Created through the engine: its history and search tokens exist.
        let found = api.get("/api/v1/leads?q=云帆").await.json();
        assert!(
            found["items"]
                .as_array()
                .is_some_and(|i| i.iter().any(|l| l["name"] == name)),
            "{found}"
        );
    }
}

fn workbook(sheets: &[(&str, Vec<Vec<&str>>)]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    for (name, rows) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(*name).expect("sheet name");
        for (r, row) in rows.iter().enumerate() {
            for (col, cell) in row.iter().enumerate() {
                // Numbers as numbers (as Excel stores a date's serial or an amount).
                match cell.parse::<f64>() {
                    Ok(n) => sheet.write_number(r as u32, col as u16, n),
                    Err(_) => sheet.write_string(r as u32, col as u16, *cell),
                }
                .expect("cell");
            }
        }
    }
    book.save_to_buffer().expect("xlsx")
}

async fn xlsx_sheets_dates_and_numbers(env: Env) {
    let (c, api) = company(&env).await;
    add_custom_fields(&env, &c).await;
    let file = workbook(&[
        ("说明", vec![vec!["本表为说明"]]),
        (
            "线索",
            vec![
                vec!["Name", "Company", "Visit date", "Seats"],
                vec!["赵六", "深圳华为技术有限公司", "46359", "12"],
            ],
        ),
    ]);
    let r = post_import(
        &api,
        &[("object", "lead"), ("sheet", "线索")],
        Some(("leads.xlsx", &file)),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    assert_eq!(r.json()["import"]["format"], "xlsx");
    env.run_jobs().await;
    let all = leads(&api).await;
    let lead = by_name(&all, "赵六");
    assert_eq!(lead["visit_on"], "2026-12-03", "{lead}");
    assert_eq!(lead["seats"].as_f64(), Some(12.0), "{lead}");
    // A sheet the workbook lacks is a field error.
    let r = post_import(
        &api,
        &[("object", "leads"), ("sheet", "无此表")],
        Some(("leads.xlsx", &file)),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(field_codes(&r), [("sheet".into(), "unknown_sheet".into())]);
}

/// The lines of an error file, after its byte-order mark.
fn error_lines(body: &[u8]) -> Vec<Vec<String>> {
    assert!(body.starts_with(&[0xEF, 0xBB, 0xBF]), "no BOM");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(&body[3..]);
    reader
        .records()
        .map(|r| r.expect("csv").iter().map(str::to_string).collect())
        .collect()
}

async fn every_error_kind_is_in_the_error_file_in_the_users_language(env: Env) {
    let (c, api) = company(&env).await;
    env.user(&c, "same@imp.example", "sales_rep", None, None)
        .await;
    env.user(&c, "same@other.example", "sales_rep", None, None)
        .await;
    let long = "长".repeat(300);
    let csv = format!(
        "姓名,公司名称,邮箱,线索来源,负责人,备注\n\
         好行,好公司,ok@imp.example,,admin@imp.example,\n\
         ,缺姓名公司,,,,\n\
         坏邮箱,坏邮箱公司,not-an-email,,,\n\
         坏来源,坏来源公司,,从天上来,,\n\
         无人,无人公司,,,nobody@imp.example,\n\
         同名,同名公司,,,same,\n\
         控制,控制\u{1}公司,,,,\n\
         太长,{long},,,,\n"
    );
    let done = import_leads(&env, &api, "errors.csv", csv.as_bytes(), "create").await;
    assert_eq!(done["counts"]["created"], 1, "{done}");
    assert_eq!(done["counts"]["failed"], 7, "{done}");
    let file_url = done["error_file"].as_str().expect("error file").to_string();
    let zh = api
        .call(
            axum::http::Method::GET,
            &file_url,
            None,
            &[("accept-language", "zh-CN")],
        )
        .await;
    assert_eq!(zh.status, StatusCode::OK);
    assert!(zh.headers[axum::http::header::CONTENT_TYPE]
        .to_str()
        .is_ok_and(|v| v.starts_with("text/csv")));
    let lines = error_lines(zh.body.as_bytes());
    assert_eq!(lines[0].first().map(String::as_str), Some("行号"));
    assert_eq!(lines[0].last().map(String::as_str), Some("错误原因"));
    let numbers: Vec<&str> = lines[1..].iter().map(|l| l[0].as_str()).collect();
    assert_eq!(numbers, ["3", "4", "5", "6", "7", "8", "9"]);
    let reason = |n: usize| lines[n].last().cloned().unwrap_or_default();
    // The original row comes back as it was.
    assert_eq!(lines[2][1], "坏邮箱");
    assert_eq!(lines[2][3], "not-an-email");
    for (line, words) in [
        (1, "姓名"),
        (2, "邮箱"),
        (3, "线索来源"),
        (4, "负责人"),
        (5, "同名"),
        (6, "控制字符"),
        (7, "200"),
    ] {
        assert!(
            reason(line).contains(words),
            "line {line}: {}",
            reason(line)
        );
    }
    // The same file in English for an English reader.
    let en = api
        .call(
            axum::http::Method::GET,
            &file_url,
            None,
            &[("accept-language", "en")],
        )
        .await;
    let lines = error_lines(en.body.as_bytes());
    assert_eq!(lines[0][0], "Row");
    assert!(
        lines[2].last().is_some_and(|r| r.contains("E-mail")),
        "{:?}",
        lines[2]
    );
}

async fn duplicates_are_skipped_updated_or_created_by_mode(env: Env) {
    let (_c, api) = company(&env).await;
    let first = "姓名,公司名称,手机,职务\n甲,杭州云帆科技有限公司,13800138000,经理\n";
    import_leads(&env, &api, "a.csv", first.as_bytes(), "create").await;
    // Same company (without its legal suffix) and mobile, formatted otherwise.
    let again =
        "姓名,公司名称,手机,职务\n乙,杭州云帆科技,138-0013-8000,总监\n丙,全新公司,13900139000,\n";
    let skipped = import_leads(&env, &api, "b.csv", again.as_bytes(), "skip").await;
    assert_eq!(skipped["counts"]["skipped"], 1, "{skipped}");
    assert_eq!(skipped["counts"]["created"], 1, "{skipped}");
    assert_eq!(leads(&api).await.len(), 2);
    let updated = import_leads(&env, &api, "c.csv", again.as_bytes(), "update").await;
    assert_eq!(updated["counts"]["updated"], 2, "{updated}");
    let all = leads(&api).await;
    assert_eq!(all.len(), 2, "{all:?}");
    let lead = by_name(&all, "乙");
    assert_eq!(lead["title"], "总监", "{lead}");
    assert_eq!(lead["version"], 2, "{lead}");
    let created = import_leads(&env, &api, "d.csv", again.as_bytes(), "create").await;
    assert_eq!(created["counts"]["created"], 2, "{created}");
    assert_eq!(leads(&api).await.len(), 4);
    // Two rows of one file that duplicate each other: the second is the first's duplicate.
    let twice = "姓名,公司名称\n丁,双胞胎有限公司\n戊,双胞胎\n";
    let done = import_leads(&env, &api, "e.csv", twice.as_bytes(), "skip").await;
    assert_eq!(done["counts"]["created"], 1, "{done}");
    assert_eq!(done["counts"]["skipped"], 1, "{done}");
}

async fn import_rows(
    env: &Env,
    tenant: uuid::Uuid,
    id: uuid::Uuid,
) -> Vec<store::imports::ImportRow> {
    let mut tx = env.app.db.begin_read().await.expect("tx");
    let mut all = Vec::new();
    for outcome in ["created", "updated", "failed"] {
        all.extend(
            store::imports::rows(&mut tx, tenant, id, outcome, 0, 100_000)
                .await
                .expect("rows"),
        );
    }
    all
}

async fn a_killed_import_resumes_without_loss_or_double_rows(env: Env) {
    let (c, api) = company(&env).await;
    let mut csv = String::from("姓名,公司名称\n");
    for i in 0..7 {
        csv.push_str(&format!("人{i},公司{i}号\n"));
    }
    csv.push_str(",缺姓名\n");
    let r = post_import(
        &api,
        &[("object", "leads"), ("mode", "create")],
        Some(("n.csv", csv.as_bytes())),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let id: uuid::Uuid = r.json()["import"]["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("id");
    // One batch of three rows, then the worker is gone: the batch is committed with its
    // position, nothing after it.
    let finished = app::imports::run_batch(&env.app, c.tenant_id, id, 3)
        .await
        .expect("batch");
    assert!(!finished);
    let midway = api.get(&format!("/api/v1/imports/{id}")).await.json();
    assert_eq!(midway["progress"]["done"], 3, "{midway}");
    assert_eq!(midway["state"], "running", "{midway}");
    assert_eq!(leads(&api).await.len(), 3);
    // A second run of the same batch finds the position moved on and applies nothing twice.
    let mut tx = env.app.db.begin().await.expect("tx");
    let moved = store::imports::advance(&mut tx, c.tenant_id, id, 0, 3, &Default::default(), None)
        .await
        .expect("advance");
    assert!(!moved, "a batch already applied is not applied again");
    drop(tx);
    // The job (as a restarted worker takes it) resumes at row 4.
    env.run_jobs().await;
    let done = api.get(&format!("/api/v1/imports/{id}")).await.json();
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["counts"]["created"], 7, "{done}");
    assert_eq!(done["counts"]["failed"], 1, "{done}");
    let all = leads(&api).await;
    assert_eq!(all.len(), 7);
    let mut names: Vec<&str> = all.iter().filter_map(|l| l["name"].as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 7, "no lead twice: {names:?}");
    let rows = import_rows(&env, c.tenant_id, id).await;
    let mut numbers: Vec<i64> = rows.iter().map(|r| r.row_number).collect();
    numbers.sort();
    assert_eq!(numbers, (2..=9).collect::<Vec<_>>());
    // A finished import's job run again changes nothing.
    assert!(app::imports::run_batch(&env.app, c.tenant_id, id, 3)
        .await
        .expect("again"));
    assert_eq!(leads(&api).await.len(), 7);
}

async fn undo_deletes_what_was_created_while_unchanged(env: Env) {
    let (_c, api) = company(&env).await;
    let existing = "姓名,公司名称,职务\n老客户,老客户公司,经理\n";
    import_leads(&env, &api, "old.csv", existing.as_bytes(), "create").await;
    let csv = "姓名,公司名称,职务\n新一,新一公司,\n新二,新二公司,\n老客户,老客户公司,总监\n";
    let done = import_leads(&env, &api, "new.csv", csv.as_bytes(), "update").await;
    assert_eq!(done["counts"]["created"], 2, "{done}");
    assert_eq!(done["counts"]["updated"], 1, "{done}");
    let id = done["id"].as_str().expect("id").to_string();
    // A record it created changed since: refused, nothing deleted.
    let all = leads(&api).await;
    let first = by_name(&all, "新一");
    let lead_id = first["id"].as_str().expect("id");
    let r = api
        .patch(
            &format!("/api/v1/leads/{lead_id}"),
            json!({"title": "改过"}),
            "\"1\"",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = api
        .post(&format!("/api/v1/imports/{id}/undo"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "import_changed");
    assert_eq!(leads(&api).await.len(), 3);
    // An import left as it was is undone: what it created goes, what it updated stays.
    let again = "姓名,公司名称\n新三,新三公司\n新四,新四公司\n";
    let done = import_leads(&env, &api, "again.csv", again.as_bytes(), "create").await;
    let id = done["id"].as_str().expect("id").to_string();
    assert_eq!(leads(&api).await.len(), 5);
    let r = api
        .post(&format!("/api/v1/imports/{id}/undo"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["state"], "undone");
    let names: Vec<String> = leads(&api)
        .await
        .iter()
        .filter_map(|l| l["name"].as_str().map(str::to_string))
        .collect();
    assert!(
        !names.iter().any(|n| n == "新三" || n == "新四"),
        "{names:?}"
    );
    assert_eq!(names.len(), 3);
    // Not twice.
    let r = api
        .post(&format!("/api/v1/imports/{id}/undo"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "import_not_done");
}

struct Team {
    c: Company,
    manager: Actor,
    rep: Actor,
    other_rep: Actor,
}

async fn team(env: &Env) -> Team {
    let c = env.company("导入团队", "admin@team.example").await;
    let east = env.department(&c, "华东销售部", None).await;
    let manager = env
        .user(
            &c,
            "manager@team.example",
            "sales_manager",
            Some(east),
            None,
        )
        .await;
    let rep = env
        .user(
            &c,
            "rep@team.example",
            "sales_rep",
            Some(east),
            Some(manager.id()),
        )
        .await;
    let other_rep = env
        .user(
            &c,
            "other@team.example",
            "sales_rep",
            Some(east),
            Some(manager.id()),
        )
        .await;
    Team {
        c,
        manager,
        rep,
        other_rep,
    }
}

async fn a_rep_and_a_manager_import_within_their_rights(env: Env) {
    let t = team(&env).await;
    let rep = env.api(&env.token(&t.rep).await);
    let other = env.api(&env.token(&t.other_rep).await);
    let manager = env.api(&env.token(&t.manager).await);
    // The other rep's lead, which the first rep cannot see.
    import_leads(
        &env,
        &other,
        "o.csv",
        "姓名,公司名称\n别人的,别人公司\n".as_bytes(),
        "create",
    )
    .await;
    // A rep imports: their own leads; giving one to someone else needs the transfer grant;
    // a duplicate they cannot open is not updated.
    let csv = "姓名,公司名称,负责人\n我的,我的公司,\n给别人,给别人公司,other@team.example\n撞别人,别人公司,\n";
    let done = import_leads(&env, &rep, "r.csv", csv.as_bytes(), "update").await;
    assert_eq!(done["counts"]["created"], 1, "{done}");
    assert_eq!(done["counts"]["failed"], 2, "{done}");
    let rows = import_rows(
        &env,
        t.c.tenant_id,
        done["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("id"),
    )
    .await;
    let codes: Vec<String> = rows.iter().filter_map(|r| r.errors.clone()).collect();
    assert!(
        codes.iter().any(|e| e.contains("owner_not_allowed")),
        "{codes:?}"
    );
    assert!(
        codes.iter().any(|e| e.contains("duplicate_not_visible")),
        "{codes:?}"
    );
    let theirs = leads(&other).await;
    assert_eq!(
        by_name(&theirs, "别人的")["version"],
        1,
        "untouched: {theirs:?}"
    );
    // The rep may not delete, so may not undo; the manager cannot even see the rep's import.
    let id = done["id"].as_str().expect("id");
    let r = rep
        .post(&format!("/api/v1/imports/{id}/undo"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = manager.get(&format!("/api/v1/imports/{id}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    // The rep's history holds their imports only.
    let history = rep.get("/api/v1/imports?object=leads").await.json();
    assert_eq!(
        history["items"].as_array().map(Vec::len),
        Some(1),
        "{history}"
    );
    // A manager sees the department's leads: their update reaches the rep's duplicate, and
    // they may give records to a rep of theirs.
    let csv = "姓名,公司名称,职务,负责人\n我的,我的公司,组长,\n新给的,新给公司,,rep@team.example\n";
    let done = import_leads(&env, &manager, "m.csv", csv.as_bytes(), "update").await;
    assert_eq!(done["counts"]["updated"], 1, "{done}");
    assert_eq!(done["counts"]["created"], 1, "{done}");
    let mine = leads(&rep).await;
    assert_eq!(by_name(&mine, "我的")["title"], "组长");
    assert_eq!(by_name(&mine, "新给的")["owner_id"], t.rep.id().to_string());
    let r = manager
        .post(
            &format!(
                "/api/v1/imports/{}/undo",
                done["id"].as_str().unwrap_or_default()
            ),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(leads(&rep).await.iter().all(|l| l["name"] != "新给的"));
}

async fn bad_uploads_are_refused_and_change_nothing(env: Env) {
    let (_c, api) = company(&env).await;
    let csv = "姓名,公司名称\n甲,甲公司\n".as_bytes();
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".as_slice();
    let big = vec![b'a'; app::imports::MAX_BYTES + 10];
    // (form fields, file, the field in error, its code)
    type Upload<'a> = (
        Vec<(&'a str, &'a str)>,
        Option<(&'a str, &'a [u8])>,
        &'a str,
        &'a str,
    );
    let cases: Vec<Upload> = vec![
        (
            vec![("object", "leads")],
            Some(("a.png", png)),
            "file",
            "unsupported_file",
        ),
        (
            vec![("object", "leads")],
            Some(("a.csv", b"".as_slice())),
            "file",
            "empty_file",
        ),
        (
            vec![("object", "leads")],
            Some(("a.csv", big.as_slice())),
            "file",
            "file_too_large",
        ),
        (vec![("object", "leads")], None, "file", "empty_file"),
        (
            vec![("object", "planets")],
            Some(("a.csv", csv)),
            "object",
            "unknown_object",
        ),
        (
            vec![
                ("object", "leads"),
                (
                    "mapping",
                    r#"{"姓名": "name", "公司名称": "no_such_field"}"#,
                ),
            ],
            Some(("a.csv", csv)),
            "mapping.公司名称",
            "unknown_field",
        ),
        (
            vec![("object", "leads"), ("mapping", r#"{"无此列": "name"}"#)],
            Some(("a.csv", csv)),
            "mapping.无此列",
            "unknown_column",
        ),
        (
            vec![("object", "leads"), ("mapping", "[1,")],
            Some(("a.csv", csv)),
            "mapping",
            "invalid_mapping",
        ),
        (
            vec![("object", "leads"), ("mode", "merge")],
            Some(("a.csv", csv)),
            "mode",
            "invalid_choice",
        ),
    ];
    for (fields, file, field, code) in cases {
        let r = post_import(&api, &fields, file).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{code}: {}",
            r.body
        );
        assert_eq!(
            field_codes(&r),
            [(field.to_string(), code.to_string())],
            "{}",
            r.body
        );
        assert!(!r.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .is_empty());
    }
    // Not multipart at all.
    let r = api
        .post("/api/v1/imports", json!({"object": "leads"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(field_codes(&r), [("file".into(), "invalid_upload".into())]);
    // A translated message.
    let (kind, body) = multipart(&[("object", "leads")], Some(("a.png", png)));
    let r = crate::support::Api::bytes(&api, "/api/v1/imports", &kind, body).await;
    assert!(r.json()["error"]["fields"][0]["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    // Nothing was created, no import either.
    env.run_jobs().await;
    assert!(leads(&api).await.is_empty());
    let history = api.get("/api/v1/imports").await.json();
    assert_eq!(history["items"], json!([]), "{history}");
    // Unknown and malformed ids.
    let r = api
        .get(&format!("/api/v1/imports/{}", uuid::Uuid::now_v7()))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = api.get("/api/v1/imports/not-an-id").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = api.get("/api/v1/imports?cursor=zzz").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}
