//! `skybridge policy check` as a user runs it: exit status and `file:line:col` output.
#![allow(clippy::unwrap_used)] // helpers outside #[test]: a failed setup should panic

use std::path::PathBuf;
use std::process::Command;

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("skybridge-policy-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn check(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_skybridge"))
        .arg("policy")
        .arg("check")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const GOOD: &str = r#"<policies>
  <inbound>
    <base />
    <validate-jwt header-name="Authorization" require-scheme="Bearer">
      <openid-config url="{{skybridge-authority}}/{{skybridge-tenant-partner}}/v2.0/.well-known/openid-configuration" />
      <audiences><audience>{{skybridge-client-id-partner-orders-api}}</audience></audiences>
    </validate-jwt>
    <include-fragment fragment-id="headers" />
  </inbound>
  <backend><base /></backend>
  <outbound><base /></outbound>
  <on-error><base /></on-error>
</policies>
"#;

const FRAGMENT: &str = r#"<fragment>
  <set-header name="X-Caller" exists-action="override">
    <value>@(context.Request.Headers.GetValueOrDefault("X-Id", "none"))</value>
  </set-header>
</fragment>
"#;

const BROKEN: &str = r#"<policies>
  <inbound>
    <rate-limit-by-key calls="ten" renewal-period="60" counter-key="k" />
    <set-header name="X" exists-action="sometimes" />
    <set-variable name="v" value="@(context.Request.NoSuchMember)" />
  </inbound>
</policies>
"#;

#[test]
fn good_files_pass_with_warnings_for_names_defined_elsewhere() {
    let d = dir("good");
    let (doc, frag) = (d.join("api.xml"), d.join("headers.fragment.xml"));
    std::fs::write(&doc, GOOD).unwrap();
    std::fs::write(&frag, FRAGMENT).unwrap();
    let (code, out, err) = check(&[doc.to_str().unwrap(), frag.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains(": error:"), "{out}");
    assert!(
        out.contains(&format!("{}:5:", doc.display())) && out.contains("{{skybridge-authority}}"),
        "{out}"
    );
    assert!(err.contains("0 error(s)"), "{err}");

    // Given the named values, nothing is left to warn about.
    let (code, out, _) = check(&[
        "--named-value",
        "skybridge-authority=https://login.example",
        "--named-value",
        "skybridge-tenant-partner=t",
        "--named-value",
        "skybridge-client-id-partner-orders-api=c",
        doc.to_str().unwrap(),
        frag.to_str().unwrap(),
    ]);
    assert_eq!((code, out.as_str()), (0, ""));

    // Alone, the document cannot see the fragment: a warning, or an error with --strict.
    let (code, out, _) = check(&[doc.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("warning: fragment \"headers\""), "{out}");
    let (code, out, _) = check(&["--strict", doc.to_str().unwrap()]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("error: fragment \"headers\""), "{out}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn broken_files_fail_with_every_problem_located() {
    let d = dir("broken");
    let (doc, bad_xml) = (d.join("broken.xml"), d.join("unclosed.xml"));
    std::fs::write(&doc, BROKEN).unwrap();
    std::fs::write(&bad_xml, "<policies>\n  <inbound>\n").unwrap();
    let missing = d.join("missing.xml");
    let (code, out, err) = check(&[
        doc.to_str().unwrap(),
        bad_xml.to_str().unwrap(),
        missing.to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    let doc = doc.display().to_string();
    for (line, what) in [(3, "calls"), (4, "exists-action"), (5, "NoSuchMember")] {
        assert!(
            out.lines()
                .any(|l| l.starts_with(&format!("{doc}:{line}:")) && l.contains(what)),
            "line {line} ({what}) not reported:\n{out}"
        );
    }
    assert!(out.contains(&format!("{}:", bad_xml.display())), "{out}");
    assert!(
        out.contains(&format!(
            "{}:1:1: error: cannot read file",
            missing.display()
        )),
        "{out}"
    );
    assert!(err.contains("error(s) in policy documents"), "{err}");
    let _ = std::fs::remove_dir_all(&d);
}
