// A type that is not a session store given to `SessionManager::new`.
use portcullis::authn::session::{SessionConfig, SessionManager};

struct Sessions;

fn main() {
    let _ = SessionManager::new(Sessions, SessionConfig::default());
}
