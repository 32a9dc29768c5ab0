// Raw SQL on the pool without a reason: only `pool.unscoped("why")` hands out raw access.
async fn purge(pool: portcullis::db::Pool) {
    let _ = pool.batch_execute("DELETE FROM documents").await;
}

fn main() {
    let _ = purge;
}
