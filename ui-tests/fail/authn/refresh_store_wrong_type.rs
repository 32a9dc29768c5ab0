// A type that is not a refresh-token store given to `RefreshService::new`.
use portcullis::authn::refresh::RefreshService;

struct Tokens;

fn main() {
    let _ = RefreshService::new(Tokens);
}
