//! Built-in roles are named in the reader's language, whatever language the company was
//! made in (the command line makes companies in Chinese); a renamed role keeps its name.

use crate::on_both_databases;
use crate::support::Env;
use app::org::RoleInput;

on_both_databases!(built_in_role_names_follow_the_reader_language);

async fn built_in_role_names_follow_the_reader_language(env: Env) {
    let c = env.company("华南机械", "admin@a.example").await;
    env.user(&c, "rep@a.example", "sales_rep", None, None).await;
    let mut en = env.browser();
    en.accept_language = "en".into();
    en.login("admin@a.example").await;
    let users = en.get("/admin/users").await;
    users.assert_contains("Sales rep");
    users.assert_contains("Administrator");
    assert!(!users.body.contains("销售代表"), "{}", users.body);
    let roles = en.get("/admin/roles").await;
    roles.assert_contains("Sales director");
    assert!(!roles.body.contains("系统管理员"), "{}", roles.body);
    en.get("/settings").await.assert_contains("Administrator");
    let mut zh = env.browser();
    zh.login("admin@a.example").await;
    zh.get("/admin/users").await.assert_contains("销售代表");
    zh.get("/admin/roles").await.assert_contains("系统管理员");
    let api = env.api(&env.token(&c.admin).await);
    assert_eq!(api.get("/api/v1/me").await.json()["role"], "Administrator");

    // A renamed built-in role shows the name it was given, in every language.
    let rep_role = env.role_id(&c, "sales_rep").await;
    let role = app::org::get_role(&env.app, &c.admin, rep_role)
        .await
        .expect("role");
    let renamed = RoleInput {
        name: "一线销售".into(),
        grants: role
            .permissions
            .0
            .objects
            .iter()
            .map(|(object, grant)| {
                (
                    object.key().to_string(),
                    grant.actions.iter().map(|a| a.key().to_string()).collect(),
                    grant.scope.key().to_string(),
                )
            })
            .collect(),
    };
    app::org::update_role(&env.app, &c.admin, rep_role, role.version, renamed)
        .await
        .expect("rename");
    en.get("/admin/users").await.assert_contains("一线销售");
    zh.get("/admin/users").await.assert_contains("一线销售");
}
