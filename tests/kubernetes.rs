//! The Kubernetes Indexed Job of `docs/batch.md` ("Beyond one machine"), as written there,
//! validated against the `batch/v1` Job schema by `kubernetes-validate` (PyPI; the OpenAPI
//! schemas of each Kubernetes release, kept in step with them) in strict mode, which also
//! rejects a property the schema does not have (a misspelt `backoffLimitPerIndx` fails). A
//! misspelt copy must fail, so a validator that accepts anything cannot pass the test.
//!
//! Without `kubernetes-validate` on `PATH` the test says so and passes, unless
//! `FIFTEEN_REQUIRE_KUBERNETES_VALIDATE=1` (set by `.ci/run`, which installs it), where it
//! fails.

mod common;

use std::process::{Command, Output};

const REQUIRE: &str = "FIFTEEN_REQUIRE_KUBERNETES_VALIDATE";

fn validate(path: &std::path::Path) -> std::io::Result<Output> {
    Command::new("kubernetes-validate")
        .arg("--strict")
        .arg(path)
        .output()
}

#[test]
fn the_docs_indexed_job_is_a_valid_batch_v1_job() {
    let yaml = common::doc_block("batch.md", "Beyond one machine", "yaml");
    assert!(
        yaml.starts_with("apiVersion: batch/v1\nkind: Job\n"),
        "{yaml}"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let good = dir.path().join("fifteen-national.yaml");
    std::fs::write(&good, &yaml).expect("writable");
    let checked = match validate(&good) {
        Ok(out) => out,
        Err(e) => {
            assert!(
                std::env::var(REQUIRE).as_deref() != Ok("1"),
                "{REQUIRE}=1 but kubernetes-validate does not run ({e}): pip install kubernetes-validate"
            );
            eprintln!(
                "skipped: the Kubernetes manifest check: kubernetes-validate not installed ({e}); \
                 .ci/run installs it (pip install kubernetes-validate)"
            );
            return;
        }
    };
    let said = |out: &Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    assert!(checked.status.success(), "{}", said(&checked));
    assert!(
        said(&checked).contains("passed for resource job/fifteen-national"),
        "{}",
        said(&checked)
    );

    let bad = dir.path().join("misspelt.yaml");
    assert!(yaml.contains("backoffLimitPerIndex:"));
    std::fs::write(
        &bad,
        yaml.replace("backoffLimitPerIndex:", "backoffLimitPerIndx:"),
    )
    .expect("writable");
    let rejected = validate(&bad).expect("kubernetes-validate runs");
    assert!(!rejected.status.success(), "{}", said(&rejected));
    assert!(
        said(&rejected).contains("backoffLimitPerIndx"),
        "{}",
        said(&rejected)
    );
}
