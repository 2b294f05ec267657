//! Key rotation: previous, current and next are published; a token outlives one rotation and
//! stops verifying after the second; re-applying a tenant rotates nothing.

use axum::http::StatusCode;
use skybridge_authority::TenantSpec;

use crate::fixture::*;

#[tokio::test]
async fn rotation_keeps_old_tokens_valid_for_one_round() {
    let f = Fixture::new().await;
    let keys_path = format!("/{}/discovery/v2.0/keys", f.partner.id);
    let before = f.jwks(&keys_path).await;
    let (current, next) = (
        before.keys[0].kid.clone().unwrap(),
        before.keys[1].kid.clone().unwrap(),
    );
    let (_, body) = f.secret_token().await;
    let old_token = body["access_token"].as_str().unwrap().to_string();
    assert_eq!(
        skybridge_jose::decode_unverified(&old_token)
            .unwrap()
            .header
            .kid
            .as_deref(),
        Some(current.as_str())
    );

    f.authority.rotate_signing_keys(f.partner.id).await.unwrap();
    let after = f.jwks(&keys_path).await;
    assert_eq!(after.keys.len(), 3);
    assert_eq!(
        after.keys[0].kid.as_deref(),
        Some(next.as_str()),
        "next signs now"
    );
    assert!(
        after.find(&current).is_some(),
        "the old current is still published"
    );
    f.verify(&old_token).await;
    let (_, body) = f.secret_token().await;
    let new_token = body["access_token"].as_str().unwrap();
    assert_eq!(
        skybridge_jose::decode_unverified(new_token)
            .unwrap()
            .header
            .kid
            .as_deref(),
        Some(next.as_str())
    );

    f.authority.rotate_signing_keys(f.partner.id).await.unwrap();
    let later = f.jwks(&keys_path).await;
    assert_eq!(later.keys.len(), 3);
    assert!(
        later.find(&current).is_none(),
        "two rotations retire the first key"
    );
    f.verify(new_token).await;
}

#[tokio::test]
async fn reapplying_changes_nothing() {
    let f = Fixture::new().await;
    let keys_path = format!("/{}/discovery/v2.0/keys", f.partner.id);
    let before = f.jwks(&keys_path).await;
    let again = f
        .authority
        .ensure_tenant(&TenantSpec {
            name: "partner".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(again, f.partner);
    let after = f.jwks(&keys_path).await;
    assert_eq!(
        before.keys.iter().map(|k| &k.kid).collect::<Vec<_>>(),
        after.keys.iter().map(|k| &k.kid).collect::<Vec<_>>()
    );
    let (s, _) = f.secret_token().await;
    assert_eq!(s, StatusCode::OK);
}
