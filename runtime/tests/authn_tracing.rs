//! Tracing: every failed authentication is one WARN event under `portcullis::authn` carrying a
//! reason class, and no event ever contains the credential.

use futures_util::FutureExt;
use portcullis::authn::jwt::{Claims, JwtService};
use portcullis::authn::strategy::Bearer;
use portcullis::authn::{Authenticator, FailureReason};
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber, span};

const ED_A: &str = include_str!("fixtures/authn/ed25519_a.pem");

#[derive(Debug, Clone)]
struct Captured {
    level: Level,
    target: String,
    text: String,
}

/// A minimal subscriber recording every event's level, target and fields as text.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Captured>>>);

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={:?} ", field.name(), value));
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }
    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}
    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut f = Fields(String::new());
        event.record(&mut f);
        self.0.lock().unwrap().push(Captured {
            level: *event.metadata().level(),
            target: event.metadata().target().to_owned(),
            text: f.0,
        });
    }
    fn enter(&self, _: &span::Id) {}
    fn exit(&self, _: &span::Id) {}
}

#[test]
fn failed_bearer_authentications_warn_with_a_reason_and_never_the_token() {
    let jwt = Arc::new(
        JwtService::builder()
            .private_key_pem(ED_A.as_bytes())
            .build()
            .unwrap(),
    );
    let bearer = Bearer::new(jwt.clone(), |c: Claims<()>| Ok::<_, FailureReason>(c.sub));
    let good = jwt.sign("alice", ()).unwrap();
    let (h, p, s) = {
        let v: Vec<&str> = good.split('.').collect();
        (v[0].to_owned(), v[1].to_owned(), v[2].to_owned())
    };
    // Flip the first signature character to a different one (replacing it with a fixed 'A'
    // would leave the token valid whenever the signature already starts with 'A').
    let first = if s.starts_with('A') { 'B' } else { 'A' };
    let tampered = format!("{h}.{p}.{first}{}", &s[1..]);
    let tokens = [
        ("bad_signature", tampered),
        ("malformed", format!("{h}.{p}")),
        ("too_large", "x".repeat(9000)),
    ];
    let capture = Capture::default();
    tracing::subscriber::with_default(capture.clone(), || {
        for (_, token) in &tokens {
            let mut parts = http::Request::builder()
                .header("authorization", format!("Bearer {token}"))
                .body(())
                .unwrap()
                .into_parts()
                .0;
            let r = bearer.authenticate(&mut parts).now_or_never().unwrap();
            assert!(r.is_err());
        }
    });
    let events = capture.0.lock().unwrap().clone();
    let warns: Vec<_> = events
        .iter()
        .filter(|e| e.level == Level::WARN && e.target == "portcullis::authn")
        .collect();
    assert_eq!(warns.len(), tokens.len(), "{events:#?}");
    for ((reason, token), event) in tokens.iter().zip(&warns) {
        assert!(
            event.text.contains(&format!("reason=\"{reason}\"")),
            "{event:?}"
        );
        // Neither the token nor any of its segments appears in any event.
        for e in &events {
            for piece in token.split('.').filter(|x| x.len() > 8) {
                assert!(!e.text.contains(piece), "credential leaked: {e:?}");
            }
        }
    }
}

fn warn_reasons(capture: &Capture) -> Vec<String> {
    capture
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e.level == Level::WARN && e.target == "portcullis::authn")
        .filter_map(|e| {
            let start = e.text.find("reason=\"")? + "reason=\"".len();
            let end = e.text[start..].find('"')?;
            Some(e.text[start..start + end].to_owned())
        })
        .collect()
}

#[test]
fn refresh_password_and_basic_failures_warn_with_their_reason() {
    use portcullis::authn::password::{PasswordConfig, PasswordHasher};
    use portcullis::authn::refresh::{MemoryRefreshStore, RefreshService};
    let capture = Capture::default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let secrets = tracing::subscriber::with_default(capture.clone(), || {
        rt.block_on(async {
            let refresh = RefreshService::new(MemoryRefreshStore::new());
            let first = refresh.issue("alice").await.unwrap();
            refresh.rotate(&first.token).await.unwrap();
            assert!(refresh.rotate(&first.token).await.is_err());
            let hasher = PasswordHasher::new(PasswordConfig {
                m_cost_kib: 64,
                t_cost: 1,
                p_cost: 1,
                max_concurrent: 1,
            })
            .unwrap();
            let phc = hasher.hash("right horse battery").await.unwrap();
            assert!(!hasher.verify("wrong horse battery", &phc).await.unwrap());
            assert!(!hasher.burn_verify("unknown user's guess").await);
            vec![
                first.token,
                "wrong horse battery".to_owned(),
                "unknown user's guess".to_owned(),
            ]
        })
    });
    let reasons = warn_reasons(&capture);
    for expected in ["refresh_reuse", "invalid_credentials"] {
        assert!(reasons.iter().any(|r| r == expected), "{reasons:?}");
    }
    for e in capture.0.lock().unwrap().iter() {
        for s in &secrets {
            assert!(!e.text.contains(s.as_str()), "secret leaked: {e:?}");
        }
    }
}

#[cfg(feature = "session")]
#[test]
fn session_failures_warn_with_their_reason() {
    use portcullis::authn::session::{
        MemorySessionStore, SessionConfig, SessionCookie, SessionManager, SessionRecord,
    };
    let capture = Capture::default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let id = tracing::subscriber::with_default(capture.clone(), || {
        rt.block_on(async {
            let sessions = Arc::new(SessionManager::new(
                MemorySessionStore::new(),
                SessionConfig::default(),
            ));
            let auth = SessionCookie::new(sessions.clone(), |r: &SessionRecord| {
                Ok::<_, FailureReason>(r.user_id.clone())
            });
            let s = sessions.login("alice", None).await.unwrap();
            let mut parts = http::Request::post("/x")
                .header("cookie", format!("__Host-id={}", s.id))
                .body(())
                .unwrap()
                .into_parts()
                .0;
            assert!(auth.authenticate(&mut parts).await.is_err());
            sessions.logout(&s.id).await.unwrap();
            let mut parts = http::Request::get("/x")
                .header("cookie", format!("__Host-id={}", s.id))
                .body(())
                .unwrap()
                .into_parts()
                .0;
            assert!(auth.authenticate(&mut parts).await.is_err());
            s.id
        })
    });
    assert_eq!(warn_reasons(&capture), ["csrf_mismatch", "revoked"]);
    for e in capture.0.lock().unwrap().iter() {
        assert!(!e.text.contains(&id), "session id leaked: {e:?}");
    }
}
