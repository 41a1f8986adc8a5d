use crate::on_both_databases;
use crate::support::Env;
use axum::http::StatusCode;

on_both_databases!(
    admin_pages_build_the_org,
    admin_pages_refuse_bad_input_and_non_admins
);

async fn admin_pages_build_the_org(env: Env) {
    let c = env.company("华东集团", "admin@a.example").await;
    let mut b = env.browser();
    b.login("admin@a.example").await;
    b.get("/admin/departments").await.assert_contains("部门");

    let r = b
        .post(
            "/admin/departments",
            &[("name", "销售中心"), ("parent_id", "")],
        )
        .await;
    assert_eq!(r.location(), "/admin/departments?notice=department_created");
    let depts = app::org::list_departments(&env.app, &c.admin)
        .await
        .unwrap();
    let sales = depts
        .iter()
        .find(|d| d.name == "销售中心")
        .unwrap()
        .id
        .to_string();
    b.post(
        "/admin/departments",
        &[("name", "华东区"), ("parent_id", &sales)],
    )
    .await;
    let page = b.get("/admin/departments").await;
    page.assert_contains("销售中心");
    page.assert_contains("华东区");
    let east = app::org::list_departments(&env.app, &c.admin)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.name == "华东区")
        .unwrap();
    assert!(east.path.starts_with(&depts[0].path));

    // Rename, then a stale rename is refused.
    let r = b
        .post(
            &format!("/admin/departments/{}/rename", east.id),
            &[("name", "华东大区"), ("version", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = b
        .post(
            &format!("/admin/departments/{}/rename", east.id),
            &[("name", "Stale"), ("version", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // Moving a department under its own child is refused.
    let r = b
        .post(
            &format!("/admin/departments/{sales}/move"),
            &[("parent_id", &east.id.to_string()), ("version", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_contains("循环");

    // A user in that department, managed by the admin.
    let rep_role = env.role_id(&c, "sales_rep").await.to_string();
    let r = b
        .post(
            "/admin/users",
            &[
                ("email", "rep@a.example"),
                ("name", "李雷"),
                ("password", "long enough"),
                ("role_id", &rep_role),
                ("department_id", &east.id.to_string()),
                ("manager_id", &c.admin.id().to_string()),
            ],
        )
        .await;
    assert_eq!(r.location(), "/admin/users?notice=user_created");
    let page = b.get("/admin/users").await;
    page.assert_contains("李雷");
    page.assert_contains("华东大区");
    let rep = app::org::list_users(&env.app, &c.admin)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.email == "rep@a.example")
        .unwrap();
    assert_eq!(rep.manager_id, Some(c.admin.id()));
    // The department with a user cannot be deleted.
    let r = b
        .post(
            &format!("/admin/departments/{}/delete", east.id),
            &[("version", "2")],
        )
        .await;
    r.assert_contains("仍有子部门或用户");
    // Deactivate the user: they can no longer sign in.
    let r = b
        .post(
            &format!("/admin/users/{}", rep.id),
            &[
                ("name", "李雷"),
                ("role_id", &rep_role),
                ("department_id", &east.id.to_string()),
                ("manager_id", ""),
                ("version", &rep.version.to_string()),
            ],
        )
        .await;
    assert_eq!(r.location(), "/admin/users?notice=user_saved");
    assert!(matches!(
        app::auth::login(&env.app, "rep@a.example", "long enough").await,
        Err(app::AppError::InvalidCredentials)
    ));

    // A role from the matrix: accounts read+create, own department; org read.
    let r = b
        .post(
            "/admin/roles",
            &[
                ("name", "区域助理"),
                ("account.actions", "read"),
                ("account.actions", "create"),
                ("account.scope", "department"),
                ("org.actions", "read"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/admin/roles?notice=role_created");
    let role = app::org::list_roles(&env.app, &c.admin)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == "区域助理")
        .unwrap();
    let grant = role
        .permissions
        .0
        .grant(domain::permissions::ObjectKind::Account)
        .unwrap()
        .clone();
    assert_eq!(grant.scope, domain::permissions::DataScope::Department);
    assert_eq!(
        grant.actions,
        [
            domain::permissions::Action::Create,
            domain::permissions::Action::Read
        ]
    );
    b.get(&format!("/admin/roles/{}", role.id))
        .await
        .assert_contains("区域助理");
    // English pages too.
    b.post("/language", &[("lang", "en")]).await;
    b.get("/admin/roles").await.assert_contains("Roles");
}

async fn admin_pages_refuse_bad_input_and_non_admins(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    env.user(&c, "manager@a.example", "sales_manager", None, None)
        .await;
    let mut b = env.browser();
    b.login("admin@a.example").await;
    let r = b
        .post(
            "/admin/users",
            &[
                ("email", "x@a.example"),
                ("name", "X"),
                ("password", "long enough"),
                ("role_id", "not-a-role"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_contains("引用的记录不存在");
    let role = env.role_id(&c, "sales_rep").await.to_string();
    let r = b
        .post(
            "/admin/users",
            &[
                ("email", "bad"),
                ("name", ""),
                ("password", "x"),
                ("role_id", &role),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    r.assert_contains("不是有效的邮箱地址");
    r.assert_contains("至少 8 个字符");
    let r = b
        .post(
            "/admin/roles",
            &[
                ("name", "Odd"),
                ("account.actions", "fly"),
                ("account.scope", "galaxy"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        b.get("/admin/users/not-an-id").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        b.get(&format!("/admin/roles/{}", uuid::Uuid::now_v7()))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app::org::list_users(&env.app, &c.admin)
            .await
            .unwrap()
            .len(),
        2
    );

    let mut m = env.browser();
    m.login("manager@a.example").await;
    for path in [
        "/admin/users",
        "/admin/departments",
        "/admin/roles",
        "/admin/users/new",
    ] {
        assert_eq!(m.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    let r = m
        .post(
            "/admin/departments",
            &[("name", "Sneaky"), ("parent_id", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(app::org::list_departments(&env.app, &c.admin)
        .await
        .unwrap()
        .is_empty());
}
