// The escape hatch `pool.unscoped` taken without a reason.
async fn purge(pool: portcullis::db::Pool) {
    let _ = pool.unscoped();
}

fn main() {
    let _ = purge;
}
