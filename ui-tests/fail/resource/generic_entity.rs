// A generic entity: `#[derive(Resource)]` needs a concrete struct.
use portcullis::Resource;

#[derive(Resource)]
pub struct Doc<T> {
    pub id: i64,
    pub extra: T,
}

fn main() {}
