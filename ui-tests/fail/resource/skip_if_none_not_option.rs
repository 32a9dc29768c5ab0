// `skip_if_none` on a field that is not an `Option`.
use portcullis::Resource;

#[derive(Resource)]
pub struct Doc {
    pub id: i64,
    #[expose(skip_if_none)]
    pub title: String,
}

fn main() {}
