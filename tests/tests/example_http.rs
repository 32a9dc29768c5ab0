//! The example API (`portcullis-example`) over HTTP: each route's happy path and its guard, on
//! SQLite, and on PostgreSQL and Redis with `PORTCULLIS_TEST_SERVICES=1` (see `example_app`).
//! The cross-tenant matrix, TOCTOU, the JWT corpus and login timing are in `example_security`.

mod example_app;

use example_app::{Cleanup, Res, backends, config, launch, start};
use http::{StatusCode, header};
use portcullis_example::DEMO_PASSWORD;
use serde_json::json;

#[tokio::test]
async fn health_is_public_and_login_failures_are_indistinguishable() {
    for t in backends("login").await {
        let res = t.call("GET", "/health", None, None).await;
        assert_eq!((res.status, res.body.as_str()), (StatusCode::OK, "ok"));

        let (access, refresh) = t.login("alice@acme.test").await;
        assert!(access.split('.').count() == 3 && refresh.len() == 43);
        let me = t.call("GET", "/me", Some(&access), None).await;
        assert_eq!(me.status, 200);
        assert_eq!(me.json()["email"], "alice@acme.test");
        assert!(
            !me.body.contains("argon2") && !me.body.contains("password"),
            "{}",
            me.body
        );

        let wrong_password = t
            .call(
                "POST",
                "/auth/login",
                None,
                Some(r#"{"email":"alice@acme.test","password":"not the password"}"#),
            )
            .await;
        let unknown_user = t
            .call(
                "POST",
                "/auth/login",
                None,
                Some(r#"{"email":"nobody@acme.test","password":"not the password"}"#),
            )
            .await;
        assert_eq!(wrong_password.status, 401);
        assert_eq!(
            (wrong_password.status, &wrong_password.body),
            (unknown_user.status, &unknown_user.body),
            "unknown account and wrong password answer alike"
        );

        let jwks = t.call("GET", "/.well-known/jwks.json", None, None).await;
        assert_eq!(jwks.status, 200);
        assert_eq!(jwks.json()["keys"][0]["alg"], "EdDSA");
        assert!(!jwks.body.contains("\"d\""), "no private key material");
        t.finish().await;
    }
}

#[tokio::test]
async fn login_is_throttled_per_ip() {
    let t = start("throttle").await;
    let body = r#"{"email":"nobody@acme.test","password":"guess"}"#;
    for _ in 0..5 {
        let res = t
            .call_from("POST", "/auth/login", None, Some(body), [198, 51, 100, 1])
            .await;
        assert_ne!(res.status, 200);
    }
    let res = t
        .call_from("POST", "/auth/login", None, Some(body), [198, 51, 100, 1])
        .await;
    assert_eq!(res.status, 429, "{}", res.body);
    // Another IP, another account: the per-IP limit does not apply (the per-account login
    // guard would, for the same account name).
    let other = r#"{"email":"someone@acme.test","password":"guess"}"#;
    let other_ip = t
        .call_from("POST", "/auth/login", None, Some(other), [198, 51, 100, 2])
        .await;
    assert_eq!(other_ip.status, 401);
}

/// `GET /docs` pages with cursors: following `next` visits every document of the tenant once,
/// in order; every malformed parameter is a 400 problem naming it, never a 500.
#[tokio::test]
async fn docs_list_pages_with_cursors_and_rejects_bad_parameters() {
    for t in backends("cursors").await {
        let (alice, _) = t.login("alice@acme.test").await;
        let all = t
            .call("GET", "/docs?limit=100&order=id", Some(&alice), None)
            .await
            .json();
        let all_ids: Vec<i64> = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_i64().unwrap())
            .collect();
        assert!(all_ids.len() >= 3, "{all}");
        let mut walked = Vec::new();
        let mut uri = "/docs?limit=1&order=id".to_owned();
        loop {
            let page = t.call("GET", &uri, Some(&alice), None).await;
            assert_eq!(page.status, 200, "{}", page.body);
            let json = page.json();
            walked.extend(
                json["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d["id"].as_i64().unwrap()),
            );
            match json["next"].as_str() {
                Some(next) => uri = format!("/docs?limit=1&order=id&after={next}"),
                None => break,
            }
            assert!(walked.len() <= all_ids.len(), "pagination does not end");
        }
        assert_eq!(walked, all_ids, "{}", t.backend);

        let first = t
            .call("GET", "/docs?limit=1", Some(&alice), None)
            .await
            .json();
        let next = first["next"].as_str().unwrap().to_owned();
        for (uri, param) in [
            ("/docs?limit=0".to_owned(), "limit"),
            ("/docs?limit=-1".to_owned(), "limit"),
            ("/docs?limit=101".to_owned(), "limit"),
            ("/docs?limit=99999999999999999999".to_owned(), "limit"),
            ("/docs?limit=abc".to_owned(), "limit"),
            ("/docs?after=%%%".to_owned(), "after"),
            ("/docs?after=garbage".to_owned(), "after"),
            (
                "/docs?after=WyJpZC0iLFsiMSBPUiAxPTEiXV0".to_owned(),
                "after",
            ),
            (format!("/docs?after={next}&order=title"), "after"),
            (format!("/docs?after={next}x"), "after"),
            ("/docs?order=internal_notes".to_owned(), "order"),
            ("/docs?total=yes".to_owned(), "total"),
            (format!("/docs?page=2&after={next}"), "after"),
            ("/docs?page=0".to_owned(), "page"),
            ("/docs?limit=1&limit=2".to_owned(), "limit"),
        ] {
            let res = t.call("GET", &uri, Some(&alice), None).await;
            assert_eq!(res.status, 400, "{}: {uri}: {}", t.backend, res.body);
            assert_eq!(
                res.headers[header::CONTENT_TYPE],
                "application/problem+json",
                "{uri}"
            );
            assert!(res.body.contains(param), "{uri}: {}", res.body);
        }
        t.finish().await;
    }
}

#[tokio::test]
async fn documents_are_scoped_to_the_tenant() {
    for t in backends("scoped").await {
        let (alice, _) = t.login("alice@acme.test").await;
        let (bob, _) = t.login("bob@globex.test").await;

        let list = t.call("GET", "/docs?total=true", Some(&alice), None).await;
        assert_eq!(list.status, 200, "{}", list.body);
        let json = list.json();
        assert_eq!(json["total"], json!({"count": 3, "exact": true}));
        assert!(json["next"].is_null(), "{}", list.body);
        let items = json["items"].as_array().unwrap();
        assert!(items.iter().all(|d| d["tenantId"] == 1), "{}", list.body);
        for secret in [
            "internalNotes",
            "internal_notes",
            "confidential",
            "old notes",
            "do not share",
        ] {
            assert!(
                !list.body.contains(secret),
                "{secret} leaked: {}",
                list.body
            );
        }
        let page = t
            .call("GET", "/docs?page=2&per_page=2", Some(&alice), None)
            .await;
        assert_eq!(page.json()["items"].as_array().unwrap().len(), 1);
        assert_eq!(
            t.call("GET", "/docs?page=x", Some(&alice), None)
                .await
                .status,
            400
        );

        let bobs = t.call("GET", "/docs", Some(&bob), None).await.json();
        assert_eq!(bobs["items"].as_array().unwrap().len(), 1);
        assert!(bobs.get("total").is_none(), "no count unless asked");
        assert_eq!(bobs["items"][0]["id"], 4);

        // Another tenant's document, by every route that names it: never 2xx.
        for (method, uri, body) in [
            ("GET", "/docs/4", None),
            ("PATCH", "/docs/4", Some(r#"{"title":"pwned"}"#)),
            ("DELETE", "/docs/4", None),
            ("POST", "/docs/4/archive", None),
            ("GET", "/docs/4/comments", None),
            ("POST", "/docs/4/comments", Some(r#"{"body":"hi"}"#)),
        ] {
            let res = t.call(method, uri, Some(&alice), body).await;
            assert!(
                res.status == 403 || res.status == 404,
                "{method} {uri}: {} {}",
                res.status,
                res.body
            );
        }
        let globex = t.call("GET", "/me", Some(&bob), None).await.json()["tenantId"]
            .as_i64()
            .unwrap();
        let row = t.stored(4, globex).await;
        assert_eq!((row.title.as_str(), row.archived), ("Globex plan", false));
        assert_eq!(
            t.call("GET", "/docs/999", Some(&alice), None).await.status,
            404
        );

        // Creating pins tenant and owner from the caller.
        let created = t
            .call(
                "POST",
                "/docs",
                Some(&bob),
                Some(r#"{"title":"new","body":"text"}"#),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.body);
        assert_eq!(
            (
                created.json()["tenantId"].clone(),
                created.json()["ownerId"].clone()
            ),
            (2.into(), 3.into())
        );
        let smuggled = t
            .call(
                "POST",
                "/docs",
                Some(&bob),
                Some(r#"{"title":"x","body":"y","tenantId":1}"#),
            )
            .await;
        assert_eq!(smuggled.status, 403, "{}", smuggled.body);
        t.finish().await;
    }
}

#[tokio::test]
async fn patch_refuses_mass_assignment_and_leaves_the_row_unchanged() {
    for t in backends("patch").await {
        let (alice, _) = t.login("alice@acme.test").await;
        let before = t.stored(1, 1).await;
        for (body, status, field) in [
            (r#"{"tenantId":2}"#, 403, Some("tenantId")),
            (r#"{"ownerId":3}"#, 403, Some("ownerId")),
            (r#"{"archived":true}"#, 403, Some("archived")),
            (r#"{"title":"ok","ownerId":3}"#, 403, Some("ownerId")),
            (r#"{"title":"ok","isAdmin":true}"#, 422, None),
            (r#"{"internalNotes":"x"}"#, 403, Some("internalNotes")),
        ] {
            let res = t.call("PATCH", "/docs/1", Some(&alice), Some(body)).await;
            assert_eq!(res.status, status, "{body}: {}", res.body);
            if let Some(field) = field {
                assert!(
                    res.body.contains(&format!(r#""field":"{field}""#)),
                    "{}",
                    res.body
                );
            }
        }
        let after = t.stored(1, 1).await;
        assert_eq!(
            (
                after.tenant_id,
                after.owner_id,
                &after.title,
                &after.body,
                after.archived,
                &after.internal_notes
            ),
            (
                before.tenant_id,
                before.owner_id,
                &before.title,
                &before.body,
                before.archived,
                &before.internal_notes
            ),
        );

        let ok = t
            .call(
                "PATCH",
                "/docs/1",
                Some(&alice),
                Some(r#"{"title":"Renamed"}"#),
            )
            .await;
        assert_eq!(ok.status, 200, "{}", ok.body);
        assert_eq!(t.stored(1, 1).await.title, "Renamed");
        // alice is not the owner of document 2 and not an admin.
        let not_owner = t
            .call("PATCH", "/docs/2", Some(&alice), Some(r#"{"title":"x"}"#))
            .await;
        assert_eq!(not_owner.status, 403);
        t.finish().await;
    }
}

#[tokio::test]
async fn archive_is_a_custom_action_and_freezes_the_document() {
    for t in backends("archive").await {
        let (alice, _) = t.login("alice@acme.test").await;
        let (amir, _) = t.login("amir@acme.test").await;
        // alice may not archive amir's document; amir (admin) may archive alice's.
        assert_eq!(
            t.call("POST", "/docs/2/archive", Some(&alice), None)
                .await
                .status,
            403
        );
        let res = t.call("POST", "/docs/1/archive", Some(&amir), None).await;
        assert_eq!(res.status, 200, "{}", res.body);
        assert_eq!(res.json()["archived"], true);
        assert!(t.stored(1, 1).await.archived);
        // Archived: not archivable again, not editable, body hidden.
        assert_eq!(
            t.call("POST", "/docs/1/archive", Some(&alice), None)
                .await
                .status,
            403
        );
        assert_eq!(
            t.call("PATCH", "/docs/1", Some(&alice), Some(r#"{"title":"x"}"#))
                .await
                .status,
            403
        );
        let shown = t.call("GET", "/docs/1", Some(&alice), None).await;
        assert!(shown.json().get("body").is_none(), "{}", shown.body);
        t.finish().await;
    }
}

/// List and show answer, per row, what the caller may do with it; the answers are the ones the
/// write routes then give.
#[tokio::test]
async fn list_and_show_carry_each_rows_capabilities() {
    for t in backends("capabilities").await {
        let (alice, _) = t.login("alice@acme.test").await;
        let (amir, _) = t.login("amir@acme.test").await;
        let can = |update, archive, delete| json!({"update": update, "archive": archive, "delete": delete});
        // Rows 1 and 3 are Alice's (3 archived), row 2 Amir's; Amir is the tenant's admin.
        let expected = [
            (&alice, 1, can(true, true, true)),
            (&alice, 2, can(false, false, false)),
            (&alice, 3, can(false, false, true)),
            (&amir, 1, can(true, true, true)),
            (&amir, 2, can(true, true, true)),
            (&amir, 3, can(false, false, true)),
        ];
        for (who, id, caps) in &expected {
            let list = t.call("GET", "/docs?order=id", Some(who), None).await;
            assert_eq!(list.status, 200, "{}", list.body);
            let json = list.json();
            let row = json["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["id"] == *id)
                .cloned()
                .unwrap_or_else(|| panic!("row {id} missing: {}", list.body));
            assert_eq!(row["_can"], *caps, "list, row {id}: {}", list.body);
            let page = t
                .call("GET", "/docs?page=1&per_page=10", Some(who), None)
                .await;
            assert!(
                page.json()["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|d| d["id"] == *id && d["_can"] == *caps),
                "{}",
                page.body
            );
            let show = t.call("GET", &format!("/docs/{id}"), Some(who), None).await;
            assert_eq!(show.status, 200, "{}", show.body);
            assert_eq!(show.json()["_can"], *caps, "show, row {id}: {}", show.body);
        }
        // The answers hold: what `_can` denies is refused, what it allows succeeds.
        let refused = t
            .call("PATCH", "/docs/2", Some(&alice), Some(r#"{"title":"x"}"#))
            .await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        let archived = t.call("POST", "/docs/1/archive", Some(&alice), None).await;
        assert_eq!(archived.status, 200, "{}", archived.body);
        let show = t.call("GET", "/docs/1", Some(&alice), None).await;
        assert_eq!(
            show.json()["_can"],
            can(false, false, true),
            "{}",
            show.body
        );
        t.finish().await;
    }
}

#[tokio::test]
async fn delete_is_for_the_owner_or_a_tenant_admin() {
    for t in backends("delete").await {
        let (alice, _) = t.login("alice@acme.test").await;
        let (bea, _) = t.login("bea@globex.test").await;
        assert_eq!(
            t.call("DELETE", "/docs/2", Some(&alice), None).await.status,
            403
        );
        let other_admin = t.call("DELETE", "/docs/1", Some(&bea), None).await.status;
        assert!(other_admin == 403 || other_admin == 404, "{other_admin}");
        let commented = t
            .call(
                "POST",
                "/docs/1/comments",
                Some(&alice),
                Some(r#"{"body":"bye"}"#),
            )
            .await;
        assert_eq!(commented.status, 201, "{}", commented.body);
        let res = t.call("DELETE", "/docs/1", Some(&alice), None).await;
        assert_eq!(res.status, 204, "{}: {}", t.backend, res.body);
        assert_eq!(
            t.call("GET", "/docs/1", Some(&alice), None).await.status,
            404
        );
        assert_eq!(
            t.call("GET", "/docs/1/comments", Some(&alice), None)
                .await
                .status,
            404
        );
        // The tenant admin may delete any document of the tenant.
        let (amir, _) = t.login("amir@acme.test").await;
        assert_eq!(
            t.call("DELETE", "/docs/3", Some(&amir), None).await.status,
            204
        );
        t.finish().await;
    }
}

#[tokio::test]
async fn comments_and_admin_listing() {
    for t in backends("comments").await {
        let (alice, _) = t.login("alice@acme.test").await;
        let (amir, _) = t.login("amir@acme.test").await;
        let res = t
            .call(
                "POST",
                "/docs/2/comments",
                Some(&alice),
                Some(r#"{"body":"nice"}"#),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.body);
        let smuggled = t
            .call(
                "POST",
                "/docs/2/comments",
                Some(&alice),
                Some(r#"{"body":"x","authorId":3}"#),
            )
            .await;
        assert_eq!(smuggled.status, 422, "{}", smuggled.body);
        let list = t.call("GET", "/docs/2/comments", Some(&amir), None).await;
        assert_eq!(list.status, 200);
        let json = list.json();
        assert_eq!(json.as_array().unwrap().len(), 1);
        assert_eq!(
            (json[0]["authorId"].clone(), json[0]["body"].clone()),
            (1.into(), "nice".into())
        );

        assert_eq!(
            t.call("GET", "/admin/users", Some(&alice), None)
                .await
                .status,
            403
        );
        let users = t.call("GET", "/admin/users", Some(&amir), None).await;
        assert_eq!(users.status, 200);
        let emails: Vec<String> = users
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["email"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(emails, ["alice@acme.test", "amir@acme.test"]);
        assert!(!users.body.contains("argon2") && !users.body.contains("password"));
        t.finish().await;
    }
}

#[tokio::test]
async fn every_non_public_route_rejects_anonymous_requests() {
    let (config, path) = config("anonymous");
    let example = portcullis_example::example(config)
        .await
        .expect("example starts");
    portcullis::testing::assert_anonymous_rejected(&example.router).await;
    drop(example);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

#[tokio::test]
async fn refresh_rotates_and_reuse_or_logout_revokes() {
    for t in backends("refresh").await {
        let (_, first) = t.login("alice@acme.test").await;
        let body = |token: &str| format!(r#"{{"refreshToken":"{token}"}}"#);
        let res = t
            .call("POST", "/auth/refresh", None, Some(&body(&first)))
            .await;
        assert_eq!(res.status, 200, "{}", res.body);
        let json = res.json();
        let second = json["refreshToken"].as_str().unwrap().to_owned();
        let access = json["accessToken"].as_str().unwrap().to_owned();
        assert_ne!(second, first);
        assert_eq!(t.call("GET", "/me", Some(&access), None).await.status, 200);

        // Reusing the spent token revokes the family: the newer token dies too.
        assert_eq!(
            t.call("POST", "/auth/refresh", None, Some(&body(&first)))
                .await
                .status,
            401
        );
        assert_eq!(
            t.call("POST", "/auth/refresh", None, Some(&body(&second)))
                .await
                .status,
            401
        );

        // Logout revokes the access token and the refresh family.
        let (access, token) = t.login("alice@acme.test").await;
        assert_eq!(
            t.call("POST", "/auth/logout", None, Some(&body(&token)))
                .await
                .status,
            401,
            "logout needs the access token"
        );
        assert_eq!(
            t.call("POST", "/auth/logout", Some(&access), Some(&body(&token)))
                .await
                .status,
            204
        );
        assert_eq!(t.call("GET", "/me", Some(&access), None).await.status, 401);
        assert_eq!(
            t.call("POST", "/auth/refresh", None, Some(&body(&token)))
                .await
                .status,
            401
        );
        t.finish().await;
    }
}

#[tokio::test]
async fn registration_checks_the_password_policy() {
    for t in backends("register").await {
        let res = t
            .call(
                "POST",
                "/auth/register",
                None,
                Some(r#"{"email":"zoe@initech.test","password":"short","organization":"initech"}"#),
            )
            .await;
        assert_eq!(res.status, 422, "{}", res.body);
        assert!(res.body.contains(r#""field":"password""#), "{}", res.body);
        let res = t
            .call(
                "POST",
                "/auth/register",
                None,
                Some(
                    r#"{"email":"zoe@initech.test","password":"password123","organization":"initech"}"#,
                ),
            )
            .await;
        assert_eq!(res.status, 422, "blocklisted: {}", res.body);
        let res = t
            .call(
                "POST",
                "/auth/register",
                None,
                Some(&format!(
                    r#"{{"email":"zoe@initech.test","password":"{DEMO_PASSWORD}","organization":"initech"}}"#
                )),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.body);
        let (access, _) = t.login("zoe@initech.test").await;
        let docs = t
            .call("GET", "/docs?total=true", Some(&access), None)
            .await
            .json();
        assert_eq!(
            docs["total"]["count"], 0,
            "a new tenant sees nothing of the others"
        );
        let again = t
            .call(
                "POST",
                "/auth/register",
                None,
                Some(&format!(
                    r#"{{"email":"zoe2@initech.test","password":"{DEMO_PASSWORD}","organization":"initech"}}"#
                )),
            )
            .await;
        assert_eq!(again.status, 409, "{}", again.body);
        assert!(again.body.contains("organization"), "{}", again.body);
        let same_email = t
            .call(
                "POST",
                "/auth/register",
                None,
                Some(&format!(
                    r#"{{"email":"alice@acme.test","password":"{DEMO_PASSWORD}","organization":"other"}}"#
                )),
            )
            .await;
        assert_eq!(same_email.status, 409, "{}", same_email.body);
        // The refused sign-up left no tenant behind: "other" is still free.
        let other = t
            .call(
                "POST",
                "/auth/register",
                None,
                Some(&format!(
                    r#"{{"email":"olga@other.test","password":"{DEMO_PASSWORD}","organization":"other"}}"#
                )),
            )
            .await;
        assert_eq!(other.status, 201, "{}", other.body);
        t.finish().await;
    }
}

#[tokio::test]
async fn start_up_is_idempotent_on_an_existing_database() {
    let (config, path) = config("restart");
    for _ in 0..2 {
        let t = launch("sqlite", config.clone(), Cleanup::Keep).await;
        let (alice, _) = t.login("alice@acme.test").await;
        let docs = t
            .call("GET", "/docs?total=true", Some(&alice), None)
            .await
            .json();
        assert_eq!(docs["total"]["count"], 3, "seeding twice adds nothing");
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// The `__Host-id` cookie value from a `Set-Cookie` header.
fn session_id(res: &Res) -> String {
    let set = res.headers[header::SET_COOKIE].to_str().unwrap();
    set.split(';')
        .next()
        .and_then(|kv| kv.strip_prefix("__Host-id="))
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn cookie_sessions_need_csrf_rotate_on_login_and_end_on_logout() {
    for t in backends("session").await {
        let creds = format!(r#"{{"email":"alice@acme.test","password":"{DEMO_PASSWORD}"}}"#);
        let ip = [203, 0, 113, 9];
        let login = t
            .call_with("POST", "/auth/session", None, Some(&creds), ip, &[])
            .await;
        assert_eq!(login.status, 200, "{}", login.body);
        let set = login.headers[header::SET_COOKIE].to_str().unwrap();
        for attr in ["Path=/", "HttpOnly", "SameSite=Lax", "Secure"] {
            assert!(set.contains(attr), "{attr} missing: {set}");
        }
        let id = session_id(&login);
        let csrf = login.json()["csrfToken"].as_str().unwrap().to_owned();
        let cookie = format!("__Host-id={id}");

        let me = t
            .call_with("GET", "/me", None, None, ip, &[("cookie", &cookie)])
            .await;
        assert_eq!(me.status, 200, "{}", me.body);
        assert_eq!(me.json()["email"], "alice@acme.test");

        let doc = Some(r#"{"title":"t","body":"b"}"#);
        let no_csrf = t
            .call_with("POST", "/docs", None, doc, ip, &[("cookie", &cookie)])
            .await;
        assert_eq!(no_csrf.status, 403, "unsafe method without CSRF token");
        let with_csrf = t
            .call_with(
                "POST",
                "/docs",
                None,
                doc,
                ip,
                &[("cookie", &cookie), ("x-csrf-token", &csrf)],
            )
            .await;
        assert_eq!(with_csrf.status, 201, "{}", with_csrf.body);

        // Logging in again with the old cookie: a new id, and the old one is dead (fixation).
        let again = t
            .call_with(
                "POST",
                "/auth/session",
                None,
                Some(&creds),
                ip,
                &[("cookie", &cookie)],
            )
            .await;
        assert_eq!(again.status, 200);
        let new_id = session_id(&again);
        assert_ne!(new_id, id);
        let old = t
            .call_with("GET", "/me", None, None, ip, &[("cookie", &cookie)])
            .await;
        assert_eq!(old.status, 401);

        let new_cookie = format!("__Host-id={new_id}");
        let new_csrf = again.json()["csrfToken"].as_str().unwrap().to_owned();
        let out = t
            .call_with(
                "DELETE",
                "/auth/session",
                None,
                None,
                ip,
                &[("cookie", &new_cookie), ("x-csrf-token", &new_csrf)],
            )
            .await;
        assert_eq!(out.status, 204, "{}", out.body);
        assert!(
            out.headers[header::SET_COOKIE]
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
        let after = t
            .call_with("GET", "/me", None, None, ip, &[("cookie", &new_cookie)])
            .await;
        assert_eq!(after.status, 401);
        t.finish().await;
    }
}

#[tokio::test]
async fn no_response_leaks_internal_notes_hashes_or_other_tenants() {
    for t in backends("sweep").await {
        // (email, tenant of the account: acme owns documents 1-3, globex document 4)
        for (email, own) in [
            ("alice@acme.test", [1, 2, 3]),
            ("amir@acme.test", [1, 2, 3]),
            ("bob@globex.test", [4, 4, 4]),
            ("bea@globex.test", [4, 4, 4]),
        ] {
            let (token, _) = t.login(email).await;
            let mut uris = vec![
                "/me".to_owned(),
                "/docs".to_owned(),
                "/admin/users".to_owned(),
            ];
            for id in 1..=5 {
                uris.push(format!("/docs/{id}"));
                uris.push(format!("/docs/{id}/comments"));
            }
            for uri in uris {
                let res = t.call("GET", &uri, Some(&token), None).await;
                for secret in [
                    "internalNotes",
                    "internal_notes",
                    "confidential",
                    "old notes",
                    "do not share",
                    "passwordHash",
                    "argon2",
                ] {
                    assert!(
                        !res.body.contains(secret),
                        "{}: GET {uri} as {email} leaked {secret}: {}",
                        t.backend,
                        res.body
                    );
                }
                let doc_id = uri
                    .strip_prefix("/docs/")
                    .and_then(|r| r.split('/').next())
                    .and_then(|id| id.parse::<i64>().ok());
                if doc_id.is_some_and(|id| !own.contains(&id)) {
                    assert!(
                        res.status == 403 || res.status == 404,
                        "{}: GET {uri} as {email}: {}",
                        t.backend,
                        res.status
                    );
                }
            }
        }
        t.finish().await;
    }
}

/// Login CSRF: a cross-site `<form enctype="text/plain">` can post a body that parses as JSON
/// (`{"email":"..","password":"..","x":"=}"`), and the example answered 200 with `Set-Cookie`.
/// JSON endpoints now refuse any body not declared JSON with a 415 problem, before reading it.
#[tokio::test]
async fn json_endpoints_refuse_form_and_text_bodies() {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    for t in backends("login_csrf").await {
        let body = format!(r#"{{"email":"alice@acme.test","password":"{DEMO_PASSWORD}"}}"#);
        for (uri, content_type) in [
            ("/auth/session", Some("text/plain")),
            ("/auth/session", Some("application/x-www-form-urlencoded")),
            ("/auth/session", None),
            ("/auth/login", Some("text/plain")),
            ("/auth/register", Some("multipart/form-data; boundary=x")),
            ("/auth/refresh", Some("text/plain;charset=UTF-8")),
        ] {
            let mut req = http::Request::post(uri).header("origin", "https://evil.example");
            if let Some(ct) = content_type {
                req = req.header(header::CONTENT_TYPE, ct);
            }
            let mut req = req.body(axum::body::Body::from(body.clone())).unwrap();
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                    [198, 51, 100, 77],
                    40000,
                ))));
            let res = t.app.clone().oneshot(req).await.unwrap();
            let status = res.status();
            let headers = res.headers().clone();
            let text = res.into_body().collect().await.unwrap().to_bytes();
            // The session login and the sign-up refuse the foreign `Origin` first (403,
            // `SameOrigin`); the other JSON endpoints refuse the content type.
            let refused = if uri == "/auth/session" || uri == "/auth/register" {
                403
            } else {
                415
            };
            assert_eq!(
                status, refused,
                "{}: {uri} {content_type:?}: {text:?}",
                t.backend
            );
            assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json");
            assert!(
                headers.get(header::SET_COOKIE).is_none(),
                "{uri}: session set"
            );
        }
        t.finish().await;
    }
}

/// Credential endpoints read at most `CREDENTIALS_BODY_MAX` bytes: a 1 MiB login (declared, or
/// streamed without a length) is a 413 problem, not a body held through the argon2 queue.
#[tokio::test]
async fn credential_endpoints_refuse_large_bodies() {
    use http_body_util::BodyExt;
    use portcullis_example::CREDENTIALS_BODY_MAX;
    use tower::ServiceExt;
    let t = &backends("login_body_cap").await[0];
    let pad = "x".repeat(1024 * 1024);
    let body =
        format!(r#"{{"email":"alice@acme.test","password":"{DEMO_PASSWORD}","pad":"{pad}"}}"#);
    assert!(body.len() > CREDENTIALS_BODY_MAX);
    for uri in [
        "/auth/login",
        "/auth/register",
        "/auth/refresh",
        "/auth/session",
    ] {
        for declared in [true, false] {
            let mut req = http::Request::post(uri).header(header::CONTENT_TYPE, "application/json");
            let body = if declared {
                req = req.header(header::CONTENT_LENGTH, body.len());
                axum::body::Body::from(body.clone())
            } else {
                // A stream of chunks with no length: the cap must cut it off while reading.
                let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = body
                    .as_bytes()
                    .chunks(4096)
                    .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
                    .collect();
                axum::body::Body::from_stream(futures_util::stream::iter(chunks))
            };
            let mut req = req.body(body).unwrap();
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                    [198, 51, 100, 78],
                    40000,
                ))));
            let res = t.app.clone().oneshot(req).await.unwrap();
            let status = res.status();
            let ct = res.headers()[header::CONTENT_TYPE].clone();
            let text = res.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(status, 413, "{uri} declared={declared}: {text:?}");
            assert_eq!(ct, "application/problem+json");
        }
    }
    // A credential-sized body still works.
    let ok = http::Request::post("/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(axum::body::Body::from(format!(
            r#"{{"email":"alice@acme.test","password":"{DEMO_PASSWORD}"}}"#
        )))
        .unwrap();
    let mut ok = ok;
    ok.extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [198, 51, 100, 79],
            40000,
        ))));
    assert_eq!(t.app.clone().oneshot(ok).await.unwrap().status(), 200);
}

/// `Authorization: bearer <token>` (any case of the scheme) is accepted by the guard, so the
/// logout must revoke that token too. Before, the logout matched `"Bearer "` only and answered
/// 204 without revoking.
#[tokio::test]
async fn logout_revokes_with_any_case_of_the_bearer_scheme() {
    for t in backends("logout_case").await {
        let (access, refresh) = t.login("alice@acme.test").await;
        let body = format!(r#"{{"refreshToken":"{refresh}"}}"#);
        let res = example_app::request(
            t.app.clone(),
            "POST",
            "/auth/logout",
            None,
            Some(&body),
            [198, 51, 100, 78],
            &[("authorization", &format!("bearer {access}"))],
        )
        .await;
        assert_eq!(res.status, 204, "{}: {}", t.backend, res.body);
        let me = t.call("GET", "/me", Some(&access), None).await;
        assert_eq!(me.status, 401, "{}: the token still works", t.backend);
        t.finish().await;
    }
}

/// An authenticated logout ends the presented access token even when its body is malformed
/// (not JSON, a wrong shape, or not declared JSON): the token is revoked first, then the body's
/// problem is answered. Before, the body was validated first and a bad body left the token
/// alive.
#[tokio::test]
async fn logout_revokes_the_token_even_with_a_malformed_body() {
    for t in backends("logout_body").await {
        for (content_type, body, status) in [
            ("application/json", "{not json", 400),
            ("application/json", r#"{"refreshToken":5}"#, 422),
            ("text/plain", "x", 415),
        ] {
            let (access, _) = t.login("alice@acme.test").await;
            let mut req = http::Request::builder()
                .method("POST")
                .uri("/auth/logout")
                .header("authorization", format!("BEARER {access}"))
                .header("content-type", content_type)
                .body(axum::body::Body::from(body.to_owned()))
                .unwrap();
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                    [198, 51, 100, 79],
                    40000,
                ))));
            let res = tower::ServiceExt::oneshot(t.app.clone(), req)
                .await
                .unwrap();
            assert_eq!(res.status(), status, "{}: {body}", t.backend);
            let me = t.call("GET", "/me", Some(&access), None).await;
            assert_eq!(
                me.status, 401,
                "{}: {content_type} {body}: the token still works",
                t.backend
            );
        }
        t.finish().await;
    }
}

/// U+0000 in text is refused with a 422 naming the field on every backend, and nothing is
/// written. PostgreSQL text cannot hold it, so before, `POST /docs` and `PATCH /docs/{id}`
/// answered 500 there (and stored the NUL on SQLite); comments and sign-up likewise.
#[tokio::test]
async fn nul_characters_in_text_are_refused_with_422_and_nothing_is_written() {
    for t in backends("nul").await {
        let (alice, _) = t.login("alice@acme.test").await;
        let count = |t: &'_ example_app::TestApp| {
            let alice = alice.clone();
            let app = t.app.clone();
            async move {
                let res = example_app::request(
                    app,
                    "GET",
                    "/docs?limit=100",
                    Some(&alice),
                    None,
                    [203, 0, 113, 8],
                    &[],
                )
                .await;
                assert_eq!(res.status, 200, "{}", res.body);
                res.json()["items"].as_array().map_or(0, Vec::len)
            }
        };
        let docs_before = count(&t).await;
        let before = t.stored(1, 1).await;
        for (method, uri, body, field) in [
            (
                "POST",
                "/docs",
                r#"{"title":"a\u0000b","body":"x"}"#,
                "title",
            ),
            ("POST", "/docs", r#"{"title":"t","body":"\u0000"}"#, "body"),
            ("PATCH", "/docs/1", r#"{"title":"\u0000"}"#, "title"),
            (
                "PATCH",
                "/docs/1",
                r#"{"title":"ok","body":"x\u0000"}"#,
                "body",
            ),
            ("POST", "/docs/1/comments", r#"{"body":"x\u0000"}"#, "body"),
        ] {
            let res = t.call(method, uri, Some(&alice), Some(body)).await;
            assert_eq!(
                res.status, 422,
                "{}: {method} {uri} {body}: {}",
                t.backend, res.body
            );
            assert!(
                res.body.contains(&format!(r#""field":"{field}""#)),
                "{}: {}",
                t.backend,
                res.body
            );
        }
        let register = t
            .call(
                "POST",
                "/auth/register",
                None,
                Some(r#"{"email":"nul@x.test","password":"a long enough passphrase 42","organization":"N\u0000L"}"#),
            )
            .await;
        assert_eq!(register.status, 422, "{}: {}", t.backend, register.body);
        assert!(
            register.body.contains(r#""field":"organization""#),
            "{}",
            register.body
        );

        assert_eq!(
            count(&t).await,
            docs_before,
            "{}: a document was created",
            t.backend
        );
        let after = t.stored(1, 1).await;
        assert_eq!(
            (&after.title, &after.body),
            (&before.title, &before.body),
            "{}",
            t.backend
        );
        let comments = t.call("GET", "/docs/1/comments", Some(&alice), None).await;
        assert!(!comments.body.contains("\\u0000"), "{}", comments.body);
        t.finish().await;
    }
}
