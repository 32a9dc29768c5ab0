// Two fields serializing under one JSON name (a `rename` onto another field's name).
use portcullis::Resource;

#[derive(Resource)]
pub struct Doc {
    pub id: i64,
    #[expose(rename = "title")]
    pub heading: String,
    #[expose]
    pub title: String,
}

fn main() {}
