use crate::on_both_databases;
use crate::support::Env;
use app::org::{RoleInput, UserInput};
use app::AppError;

on_both_databases!(department_tree_rules, user_rules, role_rules);

fn field_code(e: AppError) -> (String, &'static str) {
    match e {
        AppError::Validation(f) => (f.0[0].field.clone(), f.0[0].code),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

async fn department_tree_rules(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let a = env.department(&c, "集团", None).await;
    let b = env.department(&c, "华南分公司", Some(a)).await;
    let cc = env.department(&c, "深圳办", Some(b)).await;
    assert_eq!(
        field_code(
            app::org::create_department(&env.app, &c.admin, "华南分公司", Some(a))
                .await
                .unwrap_err()
        ),
        ("name".into(), "duplicate_name")
    );
    assert_eq!(
        field_code(
            app::org::create_department(&env.app, &c.admin, "  ", None)
                .await
                .unwrap_err()
        ),
        ("name".into(), "required")
    );
    assert_eq!(
        field_code(
            app::org::move_department(&env.app, &c.admin, a, Some(cc), 1)
                .await
                .unwrap_err()
        ),
        ("parent_id".into(), "cycle")
    );
    // Move Shenzhen to the top: its path and its subtree's paths follow.
    let sub = env.department(&c, "前海组", Some(cc)).await;
    app::org::move_department(&env.app, &c.admin, cc, None, 1)
        .await
        .unwrap();
    let depts = app::org::list_departments(&env.app, &c.admin)
        .await
        .unwrap();
    let path = |id| depts.iter().find(|d| d.id == id).unwrap().path.clone();
    assert_eq!(domain::org::depth(&path(cc)), 1);
    assert!(path(sub).starts_with(&path(cc)));
    assert!(matches!(
        app::org::rename_department(&env.app, &c.admin, b, "Renamed", 7).await,
        Err(AppError::Conflict)
    ));
    app::org::rename_department(&env.app, &c.admin, b, "华南大区", 1)
        .await
        .unwrap();
    // Departments with children or users cannot be deleted.
    env.user(&c, "rep@a.example", "sales_rep", Some(b), None)
        .await;
    assert!(matches!(
        app::org::delete_department(&env.app, &c.admin, cc, 2).await,
        Err(AppError::Rule("department_not_empty"))
    ));
    assert!(matches!(
        app::org::delete_department(&env.app, &c.admin, b, 2).await,
        Err(AppError::Rule("department_not_empty"))
    ));
    app::org::delete_department(&env.app, &c.admin, sub, 1)
        .await
        .unwrap();
    assert!(matches!(
        app::org::delete_department(&env.app, &c.admin, uuid::Uuid::now_v7(), 1).await,
        Err(AppError::NotFound)
    ));
}

async fn user_rules(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let boss = env
        .user(&c, "boss@a.example", "sales_director", None, None)
        .await;
    let mid = env
        .user(&c, "mid@a.example", "sales_manager", None, Some(boss.id()))
        .await;
    let rep = env
        .user(&c, "rep@a.example", "sales_rep", None, Some(mid.id()))
        .await;
    assert!(rep.user.manager_path.starts_with(&boss.user.manager_path));
    let role = env.role_id(&c, "sales_director").await;
    let input = |manager: Option<uuid::Uuid>, active: bool| UserInput {
        email: String::new(),
        name: "boss".into(),
        password: None,
        role_id: Some(role),
        department_id: None,
        manager_id: manager,
        active,
        locale: None,
    };
    // The boss cannot report to someone who reports to them.
    assert_eq!(
        field_code(
            app::org::update_user(
                &env.app,
                &c.admin,
                boss.id(),
                1,
                input(Some(rep.id()), true)
            )
            .await
            .unwrap_err()
        ),
        ("manager_id".into(), "cycle")
    );
    // Duplicate e-mail (any case), bad e-mail, short password.
    let dup = UserInput {
        email: "BOSS@a.example".into(),
        name: "Dup".into(),
        password: Some("long enough".into()),
        role_id: Some(role),
        department_id: None,
        manager_id: None,
        active: true,
        locale: None,
    };
    assert_eq!(
        field_code(
            app::org::create_user(&env.app, &c.admin, dup)
                .await
                .unwrap_err()
        ),
        ("email".into(), "email_taken")
    );
    let bad = UserInput {
        email: "not-an-email".into(),
        name: "X".into(),
        password: Some("short".into()),
        role_id: None,
        department_id: None,
        manager_id: None,
        active: true,
        locale: None,
    };
    let AppError::Validation(errors) = app::org::create_user(&env.app, &c.admin, bad)
        .await
        .unwrap_err()
    else {
        panic!()
    };
    let mut fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
    fields.sort();
    assert_eq!(fields, ["email", "password", "role_id"]);
    // Stale version.
    assert!(matches!(
        app::org::update_user(&env.app, &c.admin, boss.id(), 9, input(None, true)).await,
        Err(AppError::Conflict)
    ));
    // The last administrator cannot be deactivated or demoted.
    let admin_role = env.role_id(&c, "administrator").await;
    let me = app::org::get_user(&env.app, &c.admin, c.admin.id())
        .await
        .unwrap();
    let demote = UserInput {
        email: String::new(),
        name: me.name.clone(),
        password: None,
        role_id: Some(role),
        department_id: None,
        manager_id: None,
        active: true,
        locale: None,
    };
    assert!(matches!(
        app::org::update_user(&env.app, &c.admin, me.id, me.version, demote).await,
        Err(AppError::Rule("last_admin"))
    ));
    let off = UserInput {
        email: String::new(),
        name: me.name.clone(),
        password: None,
        role_id: Some(admin_role),
        department_id: None,
        manager_id: None,
        active: false,
        locale: None,
    };
    assert!(matches!(
        app::org::update_user(&env.app, &c.admin, me.id, me.version, off).await,
        Err(AppError::Rule("last_admin"))
    ));
    // A deactivated user cannot sign in.
    let r = app::org::get_user(&env.app, &c.admin, rep.id())
        .await
        .unwrap();
    app::org::update_user(
        &env.app,
        &c.admin,
        r.id,
        r.version,
        UserInput {
            email: String::new(),
            name: r.name.clone(),
            password: None,
            role_id: Some(r.role_id),
            department_id: None,
            manager_id: r.manager_id,
            active: false,
            locale: None,
        },
    )
    .await
    .unwrap();
    assert!(matches!(
        app::auth::login(&env.app, "rep@a.example", crate::support::PASSWORD).await,
        Err(AppError::InvalidCredentials)
    ));
    // Non-administrators cannot manage users.
    let attempt = UserInput {
        email: "x@a.example".into(),
        name: "X".into(),
        password: Some("long enough".into()),
        role_id: Some(role),
        department_id: None,
        manager_id: None,
        active: true,
        locale: None,
    };
    assert!(matches!(
        app::org::create_user(&env.app, &mid, attempt).await,
        Err(AppError::Forbidden)
    ));
}

async fn role_rules(env: Env) {
    let c = env.company("Acme", "admin@a.example").await;
    let bad = RoleInput {
        name: "Odd".into(),
        grants: vec![
            (
                "account".into(),
                vec!["read".into(), "fly".into()],
                "galaxy".into(),
            ),
            ("planet".into(), vec![], "all".into()),
        ],
    };
    let AppError::Validation(errors) = app::org::create_role(&env.app, &c.admin, bad)
        .await
        .unwrap_err()
    else {
        panic!()
    };
    let mut fields: Vec<_> = errors.0.iter().map(|e| e.field.as_str()).collect();
    fields.sort();
    assert_eq!(fields, ["account.actions", "account.scope", "permissions"]);
    let id = app::org::create_role(
        &env.app,
        &c.admin,
        RoleInput {
            name: "Viewer".into(),
            grants: vec![("account".into(), vec!["read".into()], "all".into())],
        },
    )
    .await
    .unwrap();
    assert_eq!(
        field_code(
            app::org::create_role(
                &env.app,
                &c.admin,
                RoleInput {
                    name: "Viewer".into(),
                    grants: vec![]
                }
            )
            .await
            .unwrap_err()
        ),
        ("name".into(), "duplicate_name")
    );
    let role = app::org::get_role(&env.app, &c.admin, id).await.unwrap();
    assert!(role.permissions.0.allows(
        domain::permissions::ObjectKind::Account,
        domain::permissions::Action::Read
    ));
    let viewer = {
        let uid = app::org::create_user(
            &env.app,
            &c.admin,
            UserInput {
                email: "v@a.example".into(),
                name: "V".into(),
                password: Some("long enough".into()),
                role_id: Some(id),
                department_id: None,
                manager_id: None,
                active: true,
                locale: None,
            },
        )
        .await
        .unwrap();
        env.actor(c.tenant_id, uid).await
    };
    assert!(matches!(
        crate::account_fixture::create(
            &env.app,
            &viewer,
            &crate::account_fixture::AccountInput {
                name: Some("x".into()),
                ..Default::default()
            }
        )
        .await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        app::org::delete_role(&env.app, &c.admin, id, 1).await,
        Err(AppError::Rule("role_in_use"))
    ));
    // Taking away the administrator role's admin right would leave nobody to administer.
    let admin_role = app::org::get_role(&env.app, &c.admin, env.role_id(&c, "administrator").await)
        .await
        .unwrap();
    let strip = RoleInput {
        name: admin_role.name.clone(),
        grants: vec![("account".into(), vec!["read".into()], "all".into())],
    };
    assert!(matches!(
        app::org::update_role(&env.app, &c.admin, admin_role.id, admin_role.version, strip).await,
        Err(AppError::Rule("last_admin"))
    ));
}
