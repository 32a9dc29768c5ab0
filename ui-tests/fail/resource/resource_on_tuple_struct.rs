// `#[derive(Resource)]` on a tuple struct: fields need names (they are columns).
use portcullis::Resource;

#[derive(Resource)]
pub struct Doc(i64);

fn main() {}
