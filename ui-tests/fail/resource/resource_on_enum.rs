// `#[derive(Resource)]` on an enum: entities are structs with named fields.
use portcullis::Resource;

#[derive(Resource)]
pub enum Doc {
    Draft,
}

fn main() {}
