use crate::account_fixture::AccountInput;
use crate::account_fixture::ListParams;
use crate::on_both_databases;
use crate::support::Env;
use app::AppError;

on_both_databases!(
    crud_history_and_stale_versions,
    validation_refuses_bad_input,
    parent_tree_rules,
    list_filters_sort_and_keyset_pages,
    quick_search_finds_chinese_fragments
);

fn codes(e: AppError) -> Vec<(String, &'static str)> {
    match e {
        AppError::Validation(f) => f.0.into_iter().map(|e| (e.field, e.code)).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

async fn crud_history_and_stale_versions(env: Env) {
    let c = env.company("华南机械", "admin@a.example").await;
    let input = AccountInput {
        name: Some("深圳华为技术有限公司".into()),
        grade: Some("b".into()),
        phone: Some("0755-28780808".into()),
        credit_code: Some("91350100M000100Y43".into()),
        province: Some("44".into()),
        tags: vec!["VIP".into(), "重点".into()],
        ..Default::default()
    };
    let created = crate::account_fixture::create(&env.app, &c.admin, &input)
        .await
        .unwrap();
    assert_eq!(created.version, 1);
    assert_eq!(created.grade.as_deref(), Some("B"));
    assert_eq!(created.phone.as_deref(), Some("+86 755 2878 0808"));
    assert_eq!(created.tags.0, ["VIP", "重点"]);
    assert_eq!(created.owner_id, c.admin.id());

    let mut edit = created.fields().to_input();
    edit.name = Some("华为技术".into());
    edit.grade = Some("A".into());
    edit.tags = vec!["VIP".into()];
    let saved = crate::account_fixture::update(&env.app, &c.admin, created.id, 1, &edit)
        .await
        .unwrap();
    assert_eq!(saved.version, 2);
    assert_eq!(saved.name, "华为技术");

    // A second save based on version 1 is refused and changes nothing.
    let mut stale = created.fields().to_input();
    stale.name = Some("Overwritten".into());
    assert!(matches!(
        crate::account_fixture::update(&env.app, &c.admin, created.id, 1, &stale).await,
        Err(AppError::Conflict)
    ));
    let now = crate::account_fixture::get(&env.app, &c.admin, created.id)
        .await
        .unwrap();
    assert_eq!((now.name.as_str(), now.version), ("华为技术", 2));

    let history = crate::account_fixture::history(&env.app, &c.admin, created.id, None, 50)
        .await
        .unwrap();
    let mut changed: Vec<_> = history
        .iter()
        .map(|h| {
            (
                h.field.as_str(),
                h.old_value.as_deref(),
                h.new_value.as_deref(),
            )
        })
        .collect();
    changed.sort();
    assert_eq!(
        changed,
        [
            ("grade", Some("B"), Some("A")),
            ("name", Some("深圳华为技术有限公司"), Some("华为技术")),
            ("tags", Some("VIP, 重点"), Some("VIP"))
        ]
    );
    assert!(history
        .iter()
        .all(|h| h.changed_by == c.admin.id() && h.changed_by_name.is_some()));

    // Saving identical values writes no history and keeps the version.
    let same =
        crate::account_fixture::update(&env.app, &c.admin, created.id, 2, &now.fields().to_input())
            .await
            .unwrap();
    assert_eq!(same.version, 2);

    assert!(matches!(
        crate::account_fixture::delete(&env.app, &c.admin, created.id, 1).await,
        Err(AppError::Conflict)
    ));
    crate::account_fixture::delete(&env.app, &c.admin, created.id, 2)
        .await
        .unwrap();
    assert!(matches!(
        crate::account_fixture::get(&env.app, &c.admin, created.id).await,
        Err(AppError::NotFound)
    ));
}

async fn validation_refuses_bad_input(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let bad = AccountInput {
        name: Some("x".repeat(201)),
        account_type: Some("friend".into()),
        province: Some("99".into()),
        phone: Some("12345".into()),
        credit_code: Some("91350100M000100Y44".into()),
        website: Some("not a website".into()),
        parent_id: Some("not-an-id".into()),
        ..Default::default()
    };
    let errors = codes(
        crate::account_fixture::create(&env.app, &c.admin, &bad)
            .await
            .unwrap_err(),
    );
    let fields: Vec<_> = errors.iter().map(|(f, c)| format!("{f}:{c}")).collect();
    assert_eq!(
        fields,
        [
            "name:too_long",
            "account_type:invalid_choice",
            "province:invalid_choice",
            "phone:invalid_phone",
            "website:invalid_url",
            "credit_code:invalid_credit_code",
            "parent_id:invalid_reference"
        ]
    );
    let empty = codes(
        crate::account_fixture::create(&env.app, &c.admin, &AccountInput::default())
            .await
            .unwrap_err(),
    );
    assert_eq!(empty, [("name".to_string(), "required")]);
    // A well-formed id that names no record is refused too.
    let unknown = AccountInput {
        name: Some("A".into()),
        parent_id: Some(uuid::Uuid::now_v7().to_string()),
        owner_id: Some(uuid::Uuid::now_v7().to_string()),
        ..Default::default()
    };
    let errors = codes(
        crate::account_fixture::create(&env.app, &c.admin, &unknown)
            .await
            .unwrap_err(),
    );
    assert_eq!(
        errors,
        [
            ("parent_id".to_string(), "invalid_reference"),
            ("owner_id".to_string(), "invalid_reference")
        ]
    );
    assert_eq!(env.account_count(c.tenant_id).await, 0);
}

async fn parent_tree_rules(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let mut ids = Vec::new();
    for name in ["Group", "Subsidiary", "Branch", "Site", "Desk"] {
        ids.push(env.account(&c.admin, name).await);
    }
    for i in 1..4 {
        let mut input = ids[i].fields().to_input();
        input.parent_id = Some(ids[i - 1].id.to_string());
        ids[i] =
            crate::account_fixture::update(&env.app, &c.admin, ids[i].id, ids[i].version, &input)
                .await
                .unwrap();
    }
    assert_eq!(ids[3].parent_name.as_deref(), Some("Branch"));
    // A fifth level is too deep.
    let mut input = ids[4].fields().to_input();
    input.parent_id = Some(ids[3].id.to_string());
    assert_eq!(
        codes(
            crate::account_fixture::update(&env.app, &c.admin, ids[4].id, 1, &input)
                .await
                .unwrap_err()
        ),
        [("parent_id".to_string(), "too_deep")]
    );
    // The group under its own grandchild would be a cycle; itself as parent is refused.
    let mut input = ids[0].fields().to_input();
    input.parent_id = Some(ids[2].id.to_string());
    assert_eq!(
        codes(
            crate::account_fixture::update(&env.app, &c.admin, ids[0].id, 1, &input)
                .await
                .unwrap_err()
        ),
        [("parent_id".to_string(), "cycle")]
    );
    input.parent_id = Some(ids[0].id.to_string());
    assert_eq!(
        codes(
            crate::account_fixture::update(&env.app, &c.admin, ids[0].id, 1, &input)
                .await
                .unwrap_err()
        ),
        [("parent_id".to_string(), "invalid_reference")]
    );
    // A parent with children cannot be deleted.
    assert!(matches!(
        crate::account_fixture::delete(&env.app, &c.admin, ids[2].id, ids[2].version).await,
        Err(AppError::Rule("account_has_children"))
    ));
    // Children are found by the parent filter.
    let params = ListParams {
        parent_id: Some(ids[0].id.to_string()),
        ..Default::default()
    };
    let page = crate::account_fixture::list(&env.app, &c.admin, &params)
        .await
        .unwrap();
    assert_eq!(
        page.items
            .iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>(),
        ["Subsidiary"]
    );
}

async fn list_filters_sort_and_keyset_pages(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let rep = env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    let specs = [
        ("Alpha", "customer", "A", "44", "VIP"),
        ("Bravo", "partner", "B", "44", ""),
        ("Charlie", "customer", "A", "11", "VIP"),
        ("Delta", "competitor", "C", "31", ""),
        ("Echo", "customer", "B", "44", "VIP"),
        ("Foxtrot", "supplier", "D", "11", ""),
        ("Golf", "customer", "A", "44", ""),
    ];
    for (name, kind, grade, province, tag) in specs {
        let input = AccountInput {
            name: Some(name.into()),
            account_type: Some(kind.into()),
            grade: Some(grade.into()),
            province: Some(province.into()),
            tags: if tag.is_empty() {
                vec![]
            } else {
                vec![tag.into()]
            },
            owner_id: Some(
                if name == "Golf" {
                    rep.id()
                } else {
                    c.admin.id()
                }
                .to_string(),
            ),
            ..Default::default()
        };
        crate::account_fixture::create(&env.app, &c.admin, &input)
            .await
            .unwrap();
    }
    let names = |page: &crate::account_fixture::Page| {
        page.items
            .iter()
            .map(|a| a.name.clone())
            .collect::<Vec<_>>()
    };
    let list = |params: ListParams| {
        let app = env.app.clone();
        let admin = c.admin.clone();
        async move {
            crate::account_fixture::list(&app, &admin, &params)
                .await
                .unwrap()
        }
    };
    let by = |f: fn(&mut ListParams)| {
        let mut p = ListParams {
            sort: Some("name".into()),
            ..Default::default()
        };
        f(&mut p);
        p
    };
    assert_eq!(
        names(&list(by(|p| p.account_type = Some("customer".into()))).await),
        ["Alpha", "Charlie", "Echo", "Golf"]
    );
    assert_eq!(
        names(&list(by(|p| p.grade = Some("a".into()))).await),
        ["Alpha", "Charlie", "Golf"]
    );
    assert_eq!(
        names(&list(by(|p| p.tag = Some("VIP".into()))).await),
        ["Alpha", "Charlie", "Echo"]
    );
    assert_eq!(
        names(
            &list(by(|p| {
                p.province = Some("44".into());
                p.grade = Some("B".into());
            }))
            .await
        ),
        ["Bravo", "Echo"]
    );
    let mut p = by(|_| {});
    p.owner_id = Some(rep.id().to_string());
    assert_eq!(names(&list(p).await), ["Golf"]);
    let mut p = by(|_| {});
    p.sort = Some("-name".into());
    assert_eq!(names(&list(p).await)[0], "Golf");

    // Keyset pages of three cover everything once, in order, for each sort.
    for sort in ["name", "-name", "created_at", "-updated_at"] {
        let mut seen = Vec::new();
        let mut cursor = None;
        for _ in 0..5 {
            let page = list(ListParams {
                sort: Some(sort.into()),
                limit: Some("3".into()),
                cursor: cursor.clone(),
                ..Default::default()
            })
            .await;
            seen.extend(names(&page));
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(seen.len(), 7, "sort {sort}: {seen:?}");
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 7, "sort {sort}: duplicates in {seen:?}");
        if sort == "name" {
            assert_eq!(
                seen,
                ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf"]
            );
        }
    }

    // Bad parameters are all reported.
    let bad = ListParams {
        sort: Some("colour".into()),
        limit: Some("0".into()),
        cursor: Some("zz".into()),
        grade: Some("Z".into()),
        created_from: Some("yesterday".into()),
        owner_id: Some("not-a-user".into()),
        ..Default::default()
    };
    let mut errors: Vec<_> = codes(
        crate::account_fixture::list(&env.app, &c.admin, &bad)
            .await
            .err()
            .unwrap(),
    )
    .into_iter()
    .map(|(f, _)| f)
    .collect();
    errors.sort();
    assert_eq!(
        errors,
        [
            "created_from",
            "cursor",
            "grade",
            "limit",
            "owner_id",
            "sort"
        ]
    );
}

async fn quick_search_finds_chinese_fragments(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    for name in [
        "深圳华为技术有限公司",
        "华为终端有限公司",
        "腾讯科技(深圳)有限公司",
        "Acme Robotics Co., Ltd.",
        "阿里巴巴",
    ] {
        env.account(&c.admin, name).await;
    }
    // A full page, and a short one (as global search asks for), which probes common tokens
    // row by row on SQLite too.
    let search_in_pages = |q: &str, limit: &str| {
        let app = env.app.clone();
        let admin = c.admin.clone();
        let params = ListParams {
            q: Some(q.into()),
            sort: Some("name".into()),
            limit: Some(limit.into()),
            ..Default::default()
        };
        async move {
            crate::account_fixture::list(&app, &admin, &params)
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|a| a.name)
                .collect::<Vec<_>>()
        }
    };
    let search = |q: &str| {
        let full = search_in_pages(q, "50");
        let short = search_in_pages(q, "5");
        async move {
            let found = full.await;
            assert_eq!(short.await, found, "a short page finds the same accounts");
            found
        }
    };
    // Rare tokens drive the query from their postings; common ones are checked row by row
    // along the sort order. Both plans must find the same accounts.
    for rare_token_postings in [store::search::RARE_TOKEN_POSTINGS, 0, 2] {
        store::search::set_rare_token_postings(rare_token_postings);
        assert_eq!(
            search("华为").await,
            ["华为终端有限公司", "深圳华为技术有限公司"]
        );
        assert_eq!(
            search("深圳").await,
            ["深圳华为技术有限公司", "腾讯科技(深圳)有限公司"]
        );
        assert_eq!(search("深圳 华为").await, ["深圳华为技术有限公司"]);
        assert_eq!(search("acme ROBO").await, ["Acme Robotics Co., Ltd."]);
        assert_eq!(search("巴巴").await, ["阿里巴巴"]);
        assert!(search("有限公司").await.is_empty());
        assert!(search("!!").await.is_empty());
    }
    store::search::set_rare_token_postings(store::search::RARE_TOKEN_POSTINGS);
    // Renaming re-indexes.
    let page = crate::account_fixture::list(
        &env.app,
        &c.admin,
        &ListParams {
            q: Some("阿里".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let a = &page.items[0];
    let mut input = a.fields().to_input();
    input.name = Some("蚂蚁集团".into());
    crate::account_fixture::update(&env.app, &c.admin, a.id, a.version, &input)
        .await
        .unwrap();
    assert!(search("阿里").await.is_empty());
    assert_eq!(search("蚂蚁").await, ["蚂蚁集团"]);
}
