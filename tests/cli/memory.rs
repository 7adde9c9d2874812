//! The real server's memory when many clients send the largest bodies at once: the
//! buffered-bytes budget (docs/rest-api.md §8) keeps the process small and reads answering.

use std::time::Duration;

/// The process's peak resident set (VmHWM), in bytes.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM");
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_clients_sending_eight_mib_at_once_keep_the_server_small() {
    let server = crate::common::start_server(&[]);
    let client = crate::common::http_client();
    let registered = client
        .post(format!("{}/subjects/small/versions", server.base))
        .body(r#"{"schema": "\"string\""}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 200);

    // Just under the 8 MiB body limit: a schema far over the 1 MiB schema limit.
    let filler = "x".repeat(8 * 1024 * 1024 - 64);
    let body = bytes::Bytes::from(format!(r#"{{"schema": "{filler}"}}"#));
    let senders: Vec<_> = (0..64)
        .map(|i| {
            let (client, body) = (client.clone(), body.clone());
            let url = format!("{}/subjects/big{i}/versions", server.base);
            tokio::spawn(async move {
                let reply = client.post(url).body(body).send().await.expect("answered");
                reply.status().as_u16()
            })
        })
        .collect();
    // A reader meanwhile: every read answers.
    let reader = {
        let (client, url) = (client.clone(), format!("{}/schemas/ids/1", server.base));
        tokio::spawn(async move {
            let mut reads = 0;
            for _ in 0..50 {
                let status = client.get(&url).send().await.expect("read").status();
                assert_eq!(status, 200);
                reads += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            reads
        })
    };
    for sender in senders {
        let status = sender.await.unwrap();
        // Too large a schema, or no room in time: never anything else.
        assert!(status == 422 || status == 503, "status {status}");
    }
    assert_eq!(reader.await.unwrap(), 50);
    let peak = peak_rss(server.child.id());
    assert!(
        peak < 200 * 1024 * 1024,
        "peak RSS {} MiB with 64 bodies of 8 MiB",
        peak / (1024 * 1024)
    );
}
