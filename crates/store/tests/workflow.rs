//! Conformance of the workflow run-history store, written against the trait.

#![allow(clippy::unwrap_used)]
use skybridge_store::*;

fn run(id: &str, status: &str) -> WorkflowRunRecord {
    WorkflowRunRecord {
        workflow: "Orders".into(),
        run_id: id.into(),
        status: status.into(),
        start_time: "2026-01-01T00:00:00Z".into(),
        end_time: None,
        document: format!("{{\"status\":\"{status}\"}}"),
    }
}

fn action(name: &str, rep: &str, seq: i64) -> WorkflowActionRecord {
    WorkflowActionRecord {
        action: name.into(),
        repetition: rep.into(),
        seq,
        status: "Succeeded".into(),
        start_time: Some("2026-01-01T00:00:00Z".into()),
        end_time: Some("2026-01-01T00:00:01Z".into()),
        document: "{}".into(),
    }
}

async fn conformance(store: &dyn WorkflowRunStore) {
    // Run ids are reverse ticks: "0858...2" is newer than "0858...3".
    store
        .put_workflow_run(&run("08580000000000000003CU00", "Running"))
        .await
        .unwrap();
    store
        .put_workflow_run(&run("08580000000000000002CU00", "Failed"))
        .await
        .unwrap();
    let mut done = run("08580000000000000003CU00", "Succeeded");
    done.end_time = Some("2026-01-01T00:00:05Z".into());
    store
        .put_workflow_run_with_actions(
            &done,
            &[
                action("A", "", 0),
                action("B", "000000", 1),
                action("B", "000001", 2),
            ],
        )
        .await
        .unwrap();
    let got = store
        .workflow_run("orders", "08580000000000000003CU00")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        got,
        WorkflowRunRecord {
            workflow: "Orders".into(),
            ..done.clone()
        }
    );
    let all = store
        .workflow_runs(
            "ORDERS",
            &WorkflowRunQuery {
                top: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|r| r.run_id.as_str()).collect::<Vec<_>>(),
        vec!["08580000000000000002CU00", "08580000000000000003CU00"]
    );
    let failed = store
        .workflow_runs(
            "orders",
            &WorkflowRunQuery {
                status: Some("failed".into()),
                top: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(failed.len(), 1);
    let page = store
        .workflow_runs(
            "orders",
            &WorkflowRunQuery {
                after_run_id: Some("08580000000000000002CU00".into()),
                top: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page[0].run_id, "08580000000000000003CU00");
    let actions = store
        .workflow_run_actions("orders", "08580000000000000003CU00")
        .await
        .unwrap();
    assert_eq!(actions.len(), 3);
    assert_eq!(actions[2].repetition, "000001");
    // Re-saving replaces the action records.
    store
        .put_workflow_run_with_actions(&done, &[action("A", "", 0)])
        .await
        .unwrap();
    assert_eq!(
        store
            .workflow_run_actions("orders", "08580000000000000003CU00")
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .workflow_run("orders", "nope")
            .await
            .unwrap()
            .is_none()
    );
    // Access keys: the first one stays.
    assert!(store.workflow_access_key("orders").await.unwrap().is_none());
    assert_eq!(
        store
            .put_workflow_access_key_if_absent("Orders", b"k1", 1)
            .await
            .unwrap(),
        b"k1"
    );
    assert_eq!(
        store
            .put_workflow_access_key_if_absent("orders", b"k2", 2)
            .await
            .unwrap(),
        b"k1"
    );
    assert_eq!(
        store.workflow_access_key("ORDERS").await.unwrap().unwrap(),
        b"k1"
    );
}

#[tokio::test]
async fn sqlite_workflow_history() {
    let store = SqliteStore::open_in_memory().await.unwrap();
    conformance(&store).await;
    assert_eq!(
        store.schema_version().await.unwrap(),
        SqliteStore::latest_schema_version()
    );
}
