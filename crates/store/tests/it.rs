//! Conformance of the directory store. Written against the trait so that the PostgreSQL store
//! can run the same cases.

#![allow(clippy::unwrap_used)]
use skybridge_store::*;
use uuid::Uuid;

async fn conformance(store: &dyn DirectoryStore) {
    let tenant = TenantRecord {
        id: Uuid::new_v4(),
        name: "partner".into(),
        domains: vec!["Partner.onmicrosoft.com".into()],
        display_name: "Partner".into(),
        created_at: 1,
    };
    store.put_tenant(&tenant).await.unwrap();
    store.put_tenant(&tenant).await.unwrap();
    assert_eq!(store.tenants().await.unwrap(), vec![tenant.clone()]);
    assert_eq!(
        store.tenant_by_alias("PARTNER").await.unwrap().unwrap().id,
        tenant.id
    );
    assert_eq!(
        store
            .tenant_by_alias("partner.onmicrosoft.com")
            .await
            .unwrap()
            .unwrap()
            .id,
        tenant.id
    );
    assert!(store.tenant_by_alias("nobody").await.unwrap().is_none());
    assert_eq!(store.tenant(tenant.id).await.unwrap().unwrap(), tenant);

    let role = AppRoleRecord {
        id: Uuid::new_v4(),
        value: "Orders.Read".into(),
        display_name: "Read".into(),
        description: String::new(),
        allowed_member_types: vec!["Application".into()],
        is_enabled: true,
    };
    let mut api = ApplicationRecord {
        app_id: Uuid::new_v4(),
        object_id: Uuid::new_v4(),
        tenant_id: tenant.id,
        name: "orders-api".into(),
        identifier_uris: vec!["api://orders".into()],
        app_roles: vec![role.clone()],
        access_token_accepted_version: 2,
        sign_in_audience: "AzureADMyOrg".into(),
        app_role_assignment_required: false,
        created_at: 2,
    };
    store.put_application(&api).await.unwrap();
    assert_eq!(store.application(api.app_id).await.unwrap().unwrap(), api);
    assert_eq!(
        store
            .applications_by_identifier_uri("api://orders")
            .await
            .unwrap(),
        vec![api.clone()]
    );
    api.identifier_uris = vec!["api://orders2".into()];
    store.put_application(&api).await.unwrap();
    assert!(
        store
            .applications_by_identifier_uri("api://orders")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .application_by_name(tenant.id, "orders-api")
            .await
            .unwrap()
            .unwrap(),
        api
    );

    let sp = ServicePrincipalRecord {
        id: Uuid::new_v4(),
        tenant_id: tenant.id,
        app_id: api.app_id,
        display_name: "orders-api".into(),
        kind: "Application".into(),
    };
    store.put_service_principal(&sp).await.unwrap();
    assert_eq!(
        store
            .service_principal(tenant.id, api.app_id)
            .await
            .unwrap()
            .unwrap(),
        sp
    );

    let assignment = AppRoleAssignmentRecord {
        id: Uuid::new_v4(),
        tenant_id: tenant.id,
        principal_id: Uuid::new_v4(),
        resource_id: sp.id,
        app_role_id: role.id,
    };
    let stored = store.put_app_role_assignment(&assignment).await.unwrap();
    let again = store
        .put_app_role_assignment(&AppRoleAssignmentRecord {
            id: Uuid::new_v4(),
            ..assignment.clone()
        })
        .await
        .unwrap();
    assert_eq!(stored, assignment);
    assert_eq!(again, assignment, "same grant is not duplicated");
    assert_eq!(
        store
            .app_role_assignments(assignment.principal_id, sp.id)
            .await
            .unwrap(),
        vec![assignment.clone()]
    );

    let secret = PasswordCredentialRecord {
        key_id: Uuid::new_v4(),
        app_id: api.app_id,
        display_name: "ci".into(),
        hint: "abc".into(),
        salt: vec![1, 2],
        hash: vec![3; 32],
        start: 0,
        end: 10,
    };
    store.put_password_credential(&secret).await.unwrap();
    assert_eq!(
        store.password_credentials(api.app_id).await.unwrap(),
        vec![secret]
    );

    let cert = KeyCredentialRecord {
        key_id: Uuid::new_v4(),
        app_id: api.app_id,
        display_name: "c".into(),
        cert_der: vec![0x30, 0],
        sha1: vec![1; 20],
        sha256: vec![2; 32],
        start: 0,
        end: 10,
    };
    store.put_key_credential(&cert).await.unwrap();
    assert_eq!(store.key_credentials(api.app_id).await.unwrap(), vec![cert]);

    let keys: Vec<SigningKeyRecord> = [SigningKeyStatus::Current, SigningKeyStatus::Next]
        .into_iter()
        .enumerate()
        .map(|(i, status)| SigningKeyRecord {
            tenant_id: tenant.id,
            kid: format!("k{i}"),
            status,
            sealed_private_key: vec![9; 4],
            cert_der: vec![8; 4],
            created_at: i as i64,
        })
        .collect();
    store.replace_signing_keys(tenant.id, &keys).await.unwrap();
    assert_eq!(store.signing_keys(tenant.id).await.unwrap(), keys);
    store
        .replace_signing_keys(tenant.id, &keys[1..])
        .await
        .unwrap();
    assert_eq!(
        store.signing_keys(tenant.id).await.unwrap(),
        keys[1..].to_vec()
    );

    let client = Uuid::new_v4();
    assert!(
        store
            .remember_assertion(tenant.id, client, "j1", 100, 50)
            .await
            .unwrap()
    );
    assert!(
        !store
            .remember_assertion(tenant.id, client, "j1", 100, 60)
            .await
            .unwrap()
    );
    assert!(
        store
            .remember_assertion(tenant.id, client, "j1", 300, 200)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn sqlite_in_memory_conforms() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    conformance(&store).await;
}

#[tokio::test]
async fn cached_directory_conforms() {
    let inner = std::sync::Arc::new(SqliteStore::open_in_memory().await.unwrap());
    let cached = CachedDirectory::new(inner, std::time::Duration::from_secs(60));
    conformance(&cached).await;
}

#[tokio::test]
async fn sqlite_file_conforms_and_reopens() {
    let dir = std::env::temp_dir().join(format!("sb-store-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("skybridge.db");
    let store = SqliteStore::open(&path).await.unwrap();
    conformance(&store).await;
    drop(store);
    let reopened = SqliteStore::open(&path).await.unwrap();
    assert_eq!(
        reopened.schema_version().await.unwrap(),
        SqliteStore::latest_schema_version()
    );
    assert_eq!(reopened.tenants().await.unwrap().len(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn managed_identities_and_resources() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    let tenant = TenantRecord {
        id: Uuid::new_v4(),
        name: "home".into(),
        domains: vec![],
        display_name: "h".into(),
        created_at: 0,
    };
    store.put_tenant(&tenant).await.unwrap();
    let system = ManagedIdentityRecord {
        client_id: Uuid::new_v4(),
        principal_id: Uuid::new_v4(),
        tenant_id: tenant.id,
        name: "wf".into(),
        kind: IdentityKind::System,
        resource_id: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Web/sites/wf".into(),
    };
    let user = ManagedIdentityRecord {
        client_id: Uuid::new_v4(),
        principal_id: Uuid::new_v4(),
        name: "u".into(),
        kind: IdentityKind::User,
        ..system.clone()
    };
    store.put_managed_identity(&system).await.unwrap();
    store.put_managed_identity(&user).await.unwrap();
    store
        .put_service_principal(&ServicePrincipalRecord {
            id: system.principal_id,
            tenant_id: tenant.id,
            app_id: system.client_id,
            display_name: "wf".into(),
            kind: "ManagedIdentity".into(),
        })
        .await
        .unwrap();
    let resource = IdentityResourceRecord {
        name: "wf".into(),
        tenant_id: tenant.id,
        kind: "workflow".into(),
        resource_id: system.resource_id.clone(),
        sealed_identity_header: vec![1, 2, 3],
        system_identity: Some(system.client_id),
        user_identities: vec![user.client_id],
    };
    store.put_identity_resource(&resource).await.unwrap();
    assert_eq!(store.identity_resources().await.unwrap(), vec![resource]);
    assert_eq!(
        store.managed_identities().await.unwrap(),
        vec![system.clone(), user.clone()]
    );
    store.delete_identity_resource("wf").await.unwrap();
    assert!(store.identity_resources().await.unwrap().is_empty());
    assert_eq!(
        store.managed_identities().await.unwrap(),
        vec![user],
        "the system identity goes with its resource"
    );
    assert!(
        store
            .service_principal(tenant.id, system.client_id)
            .await
            .unwrap()
            .is_none()
    );
}
