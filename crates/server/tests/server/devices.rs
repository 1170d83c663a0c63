//! What a device may do about its own data, and nothing about another's.

use tokentally_event::Tool;
use tokentally_wire::{AccessLog, DeleteReply, UsageAck};

use crate::both;
use crate::support::{Backend, DAY, Env, batch, bucket};

fn a_device_deletes_its_own_data_and_may_upload_again(backend: Backend) {
    let env = Env::new(backend);
    let dev = env.enroll();
    let other = env.enroll();
    let b = batch(vec![
        bucket(DAY, Tool::Codex, "gpt-5", 4, 10),
        bucket(DAY, Tool::Cursor, "auto", 1, 10),
    ]);
    assert_eq!(env.http.upload(&dev.token, &b).status, 200);
    assert_eq!(env.http.upload(&other.token, &b).status, 200);

    let r = env.http.delete(
        &format!("/v1/devices/{}/usage", dev.device_id),
        Some(&dev.token),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json::<DeleteReply>(), DeleteReply { deleted: 2 });
    let left = env.admin.buckets().expect("buckets");
    assert_eq!(left.len(), 2);
    assert!(left.iter().all(|s| s.device_id == other.device_id));

    // Deleting again deletes nothing; the device is still enrolled.
    let r = env.http.delete(
        &format!("/v1/devices/{}/usage", dev.device_id),
        Some(&dev.token),
    );
    assert_eq!(r.json::<DeleteReply>(), DeleteReply { deleted: 0 });
    let r: UsageAck = env.http.upload(&dev.token, &b).json();
    assert_eq!(
        (r.stored, r.unchanged),
        (2, 0),
        "revisions start afresh after a delete"
    );
    assert_eq!(env.stored_count(), 4);
}
both!(a_device_deletes_its_own_data_and_may_upload_again);

fn cross_device_requests_are_403_and_change_nothing(backend: Backend) {
    let env = Env::new(backend);
    let victim = env.enroll();
    let attacker = env.enroll();
    let b = batch(vec![bucket(DAY, Tool::Codex, "gpt-5", 1, 10)]);
    assert_eq!(env.http.upload(&victim.token, &b).status, 200);
    for path in [
        format!("/v1/devices/{}/usage", victim.device_id),
        "/v1/devices/dev_00000000000000000000000000000000/usage".to_owned(),
    ] {
        let r = env.http.delete(&path, Some(&attacker.token));
        assert_eq!(r.status, 403, "{path}");
        assert!(r.error().contains("its own device"));
    }
    let r = env.http.get(
        &format!("/v1/devices/{}/access-log", victim.device_id),
        Some(&attacker.token),
    );
    assert_eq!(r.status, 403);
    // No token, or an admin token, is not a device token at all.
    let admin = env.admin.issue_admin_token("ops").expect("admin");
    for token in [None, Some(admin.as_str())] {
        let r = env
            .http
            .delete(&format!("/v1/devices/{}/usage", victim.device_id), token);
        assert_eq!(r.status, 401);
        let r = env.http.get(
            &format!("/v1/devices/{}/access-log", victim.device_id),
            token,
        );
        assert_eq!(r.status, 401);
    }
    assert_eq!(env.stored_count(), 1);
    let r = env.http.get(
        &format!("/v1/devices/{}/access-log", victim.device_id),
        Some(&victim.token),
    );
    assert_eq!(r.json::<AccessLog>(), AccessLog { entries: vec![] });
}
both!(cross_device_requests_are_403_and_change_nothing);
