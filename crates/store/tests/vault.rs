//! Conformance of the vault store, written against the trait so another backend can run it.

#![allow(clippy::unwrap_used)]
use skybridge_store::*;
use uuid::Uuid;

fn object(kind: VaultObjectKind, name: &str, version: &str, at: i64) -> VaultObjectRecord {
    VaultObjectRecord {
        vault: "kv1".into(),
        kind,
        name: name.into(),
        version: version.into(),
        created_at: at,
        updated_at: at,
        meta: format!("{{\"v\":\"{version}\"}}"),
        wrapped_key: Some(vec![1, 2, 3]),
        sealed: Some(vec![4, 5, 6]),
    }
}

async fn conformance(store: &dyn VaultStore) {
    use VaultObjectKind::*;
    let vault = VaultRecord {
        name: "kv1".into(),
        tenant_id: Uuid::new_v4(),
        retention_days: 90,
        purge_protection: false,
        created_at: 1,
    };
    store.put_vault(&vault).await.unwrap();
    store.put_vault(&vault).await.unwrap();
    assert_eq!(store.vault("KV1").await.unwrap().unwrap(), vault);
    assert_eq!(store.vaults().await.unwrap(), vec![vault.clone()]);

    let principal = Uuid::new_v4();
    let grant = VaultRoleAssignmentRecord {
        vault: "kv1".into(),
        principal_id: principal,
        role_id: Uuid::new_v4(),
        scope: "keys/k1".into(),
    };
    store
        .replace_vault_role_assignments("kv1", &[grant.clone(), grant.clone()])
        .await
        .unwrap();
    assert_eq!(
        store
            .vault_role_assignments("kv1", principal)
            .await
            .unwrap(),
        vec![grant]
    );
    store
        .replace_vault_role_assignments("kv1", &[])
        .await
        .unwrap();
    assert!(
        store
            .vault_role_assignments("kv1", principal)
            .await
            .unwrap()
            .is_empty()
    );

    // Versions: latest is the last inserted; names compare case-insensitively.
    assert!(
        store
            .insert_object_versions(&[object(Secret, "s1", "a1", 10)])
            .await
            .unwrap()
    );
    assert!(
        store
            .insert_object_versions(&[object(Secret, "S1", "b2", 10)])
            .await
            .unwrap()
    );
    assert!(
        !store
            .insert_object_versions(&[object(Secret, "s1", "b2", 11)])
            .await
            .unwrap()
    );
    assert!(
        store
            .insert_object_versions(&[object(Secret, "s0", "c3", 10)])
            .await
            .unwrap()
    );
    let latest = store
        .latest_object_version("kv1", Secret, "s1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(latest.version, "b2");
    assert_eq!(latest.sealed, Some(vec![4, 5, 6]));
    let versions = store.object_versions("kv1", Secret, "s1").await.unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|v| v.version.as_str())
            .collect::<Vec<_>>(),
        ["a1", "b2"]
    );
    let page = store.latest_objects("kv1", Secret, 0, 1).await.unwrap();
    assert_eq!(page[0].name, "s0");
    let page = store.latest_objects("kv1", Secret, 1, 5).await.unwrap();
    assert_eq!((page.len(), page[0].version.as_str()), (1, "b2"));
    assert!(
        store
            .latest_objects("kv1", Key, 0, 5)
            .await
            .unwrap()
            .is_empty()
    );

    let mut updated = latest.clone();
    updated.meta = "{\"tags\":1}".into();
    updated.updated_at = 20;
    assert!(store.update_object_version(&updated).await.unwrap());
    let again = store
        .object_version("kv1", Secret, "s1", "B2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (again.meta.as_str(), again.updated_at),
        ("{\"tags\":1}", 20)
    );

    // Soft delete hides every version, blocks new ones, and recovers.
    assert!(
        store
            .delete_objects("kv1", &[Secret], "s1", 30, 100)
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_objects("kv1", &[Secret], "s1", 30, 100)
            .await
            .unwrap()
    );
    assert!(
        store
            .latest_object_version("kv1", Secret, "s1")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .object_version("kv1", Secret, "s1", "a1")
            .await
            .unwrap()
            .is_none()
    );
    assert!(!store.update_object_version(&updated).await.unwrap());
    assert!(
        !store
            .insert_object_versions(&[object(Secret, "s1", "d4", 31)])
            .await
            .unwrap()
    );
    let deleted = store
        .deleted_object("kv1", Secret, "s1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            deleted.deleted_at,
            deleted.purge_at,
            deleted.latest.version.as_str()
        ),
        (30, 100, "b2")
    );
    assert_eq!(
        store
            .deleted_objects("kv1", Secret, 0, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(store.recover_objects("kv1", &[Secret], "s1").await.unwrap());
    assert!(!store.recover_objects("kv1", &[Secret], "s1").await.unwrap());
    assert_eq!(
        store
            .object_versions("kv1", Secret, "s1")
            .await
            .unwrap()
            .len(),
        2
    );

    // A certificate's three objects go together.
    let cert = [
        object(Certificate, "c1", "e5", 40),
        object(Key, "c1", "e5", 40),
        object(Secret, "c1", "e5", 40),
    ];
    assert!(store.insert_object_versions(&cert).await.unwrap());
    assert!(
        store
            .delete_objects("kv1", &[Certificate, Key, Secret], "c1", 41, 50)
            .await
            .unwrap()
    );
    assert!(
        store
            .deleted_object("kv1", Key, "c1")
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        !store
            .purge_objects("kv1", &[Certificate], "nope")
            .await
            .unwrap()
    );
    assert!(
        store
            .purge_objects("kv1", &[Certificate, Key, Secret], "c1")
            .await
            .unwrap()
    );
    assert!(
        store
            .deleted_object("kv1", Key, "c1")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .insert_object_versions(&[object(Key, "c1", "f6", 60)])
            .await
            .unwrap()
    );

    // Expired soft deletes are purged.
    assert!(
        store
            .delete_objects("kv1", &[Secret], "s0", 70, 80)
            .await
            .unwrap()
    );
    assert_eq!(store.purge_expired_objects(79).await.unwrap(), 0);
    assert_eq!(store.purge_expired_objects(80).await.unwrap(), 1);
    assert!(
        store
            .deleted_object("kv1", Secret, "s0")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .insert_object_versions(&[object(Secret, "s0", "a1", 90)])
            .await
            .unwrap()
    );
}

/// Certificate issuers and contacts: upsert keeping `created_at`, case-insensitive names,
/// paging by name, outright deletion.
async fn settings_conformance(store: &dyn VaultStore) {
    use VaultSettingKind::*;
    let setting = |name: &str, at: i64, meta: &str| VaultSettingRecord {
        vault: "kv1".into(),
        kind: Issuer,
        name: name.into(),
        created_at: at,
        updated_at: at,
        meta: meta.into(),
        wrapped_key: Some(vec![1]),
        sealed: Some(vec![2]),
    };
    store
        .put_vault_setting(&setting("b", 10, "{}"))
        .await
        .unwrap();
    store
        .put_vault_setting(&setting("a", 11, "{}"))
        .await
        .unwrap();
    store
        .put_vault_setting(&setting("B", 20, "{\"v\":2}"))
        .await
        .unwrap();
    let b = store
        .vault_setting("kv1", Issuer, "b")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((b.created_at, b.updated_at), (10, 20));
    assert_eq!(b.meta, "{\"v\":2}");
    assert!(
        store
            .vault_setting("kv1", Contacts, "b")
            .await
            .unwrap()
            .is_none()
    );
    let names: Vec<_> = store
        .vault_settings("kv1", Issuer, 0, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(
        store
            .vault_settings("kv1", Issuer, 1, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .delete_vault_setting("kv1", Issuer, "A")
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_vault_setting("kv1", Issuer, "a")
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .vault_settings("kv1", Issuer, 0, 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn sqlite_vault_store_conforms() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    conformance(&store).await;
    settings_conformance(&store).await;
}

#[tokio::test]
async fn concurrent_writers_keep_every_version() {
    let dir = std::env::temp_dir().join(format!("sb-vault-store-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("v.db");
    let _ = std::fs::remove_file(&path);
    let store = std::sync::Arc::new(SqliteStore::open(&path).await.unwrap());
    store
        .put_vault(&VaultRecord {
            name: "kv1".into(),
            tenant_id: Uuid::new_v4(),
            retention_days: 7,
            purge_protection: true,
            created_at: 1,
        })
        .await
        .unwrap();
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let rec = object(VaultObjectKind::Secret, "shared", &format!("v{i:02}"), i);
                store.insert_object_versions(&[rec]).await.unwrap()
            })
        })
        .collect();
    for t in tasks {
        assert!(t.await.unwrap());
    }
    let versions = store
        .object_versions("kv1", VaultObjectKind::Secret, "shared")
        .await
        .unwrap();
    assert_eq!(versions.len(), 32);
    std::fs::remove_dir_all(&dir).unwrap();
}
