// `#[expose(rename = ident)]` without quotes.
use portcullis::Resource;

#[derive(Resource)]
pub struct Doc {
    pub id: i64,
    #[expose(rename = heading)]
    pub title: String,
}

fn main() {}
