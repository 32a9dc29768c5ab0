// A type that is not a revocation store given to `Bearer::with_revocation`.
use portcullis::authn::revocation::RevocationStore;
use std::sync::Arc;

struct Denylist;

fn main() {
    let _: Arc<dyn RevocationStore> = Arc::new(Denylist);
}
