//! Opens the file storage `server.files_url` names: the local disk (`data_dir/files`, the
//! default) or an S3-compatible bucket that every instance shares.
//!
//! For S3 the endpoint, region and credentials come from the standard environment variables,
//! read by object_store's own key names: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_SESSION_TOKEN`, `AWS_REGION` / `AWS_DEFAULT_REGION`, `AWS_ENDPOINT` (a non-AWS
//! server such as MinIO, Ceph or Garage), `AWS_ALLOW_HTTP=true` (an `http://` endpoint, e.g. on
//! loopback), `AWS_VIRTUAL_HOSTED_STYLE_REQUEST`, and the rest `AmazonS3ConfigKey` knows.
//!
//! A start writes and deletes one small probe object, so a missing bucket (`AFERR041`) or a
//! refused or unreachable server (`AFERR042`) stops the start with that code instead of
//! failing the first upload.

use crate::{
    Result,
    config::{
        Config, ConfigError, FILES_BUCKET_MISSING, FILES_STORE_UNAVAILABLE, FILES_URL_INVALID,
        FilesLocation, files_location,
    },
};
use object_store::{
    ObjectStore, PutPayload,
    aws::{AmazonS3Builder, AmazonS3ConfigKey},
    local::LocalFileSystem,
    path::Path as ObjectPath,
    prefix::PrefixStore,
};
use std::{sync::Arc, time::Duration};

/// How long the start-up probe may take (object_store retries a failing request for minutes).
const PROBE_TIMEOUT: Duration = Duration::from_secs(30);

/// The storage of `config`, with the `AWS_*` variables of this process.
pub async fn open(config: &Config) -> Result<Arc<dyn ObjectStore>> {
    open_with_env(config, std::env::vars()).await
}

/// [`open`] with the environment given as `(name, value)` pairs (tests pass their own).
pub async fn open_with_env(
    config: &Config,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Arc<dyn ObjectStore>> {
    match files_location(config.server.files_url.as_deref())? {
        FilesLocation::Local => {
            let dir = config.server.data_dir.join("files");
            std::fs::create_dir_all(&dir)?;
            Ok(Arc::new(LocalFileSystem::new_with_prefix(&dir)?))
        }
        FilesLocation::S3 { bucket, prefix } => {
            let s3 = s3_builder(&bucket, env)
                .build()
                .map_err(|e| files_error(FILES_URL_INVALID, format!("S3 settings: {e}")))?;
            let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
                Arc::new(s3)
            } else {
                Arc::new(PrefixStore::new(s3, prefix.as_str()))
            };
            probe(store.as_ref(), &bucket).await?;
            tracing::info!(%bucket, %prefix, "files are stored in an S3-compatible bucket");
            Ok(store)
        }
    }
}

/// object_store's builder for `bucket` with every `AWS_*` variable it knows.
fn s3_builder(bucket: &str, env: impl IntoIterator<Item = (String, String)>) -> AmazonS3Builder {
    let mut b = AmazonS3Builder::new();
    for (name, value) in env {
        if !name.starts_with("AWS_") {
            continue;
        }
        if let Ok(key) = name.to_ascii_lowercase().parse::<AmazonS3ConfigKey>() {
            b = b.with_config(key, value);
        }
    }
    b.with_bucket_name(bucket)
}

fn files_error(code: &'static str, message: String) -> crate::Error {
    ConfigError::Files { code, message }.into()
}

/// Writes and deletes one object: the bucket exists and these credentials may write to it.
async fn probe(store: &dyn ObjectStore, bucket: &str) -> Result<()> {
    let path = ObjectPath::from(format!(".appframe-probe/{}", uuid::Uuid::new_v4()));
    let check = async {
        store
            .put(&path, PutPayload::from_static(b"appframe start-up probe"))
            .await?;
        store.delete(&path).await
    };
    match tokio::time::timeout(PROBE_TIMEOUT, check).await {
        Ok(Ok(())) => Ok(()),
        // A write can only miss when the bucket does.
        Ok(Err(object_store::Error::NotFound { .. })) => Err(files_error(
            FILES_BUCKET_MISSING,
            format!(
                "the bucket {bucket:?} of server.files_url does not exist on the storage server \
                 (or AWS_ENDPOINT is not an S3 server); create the bucket first"
            ),
        )),
        Ok(Err(e)) => Err(files_error(
            FILES_STORE_UNAVAILABLE,
            format!(
                "cannot write to the bucket {bucket:?} of server.files_url (check AWS_ENDPOINT, \
                 AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION): {e}"
            ),
        )),
        Err(_) => Err(files_error(
            FILES_STORE_UNAVAILABLE,
            format!(
                "the storage server of server.files_url did not answer within {} s (check \
                 AWS_ENDPOINT)",
                PROBE_TIMEOUT.as_secs()
            ),
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use object_store::ObjectStore;

    fn config(files_url: Option<&str>, dir: &std::path::Path) -> Config {
        let mut c = Config::demo();
        c.server.data_dir = dir.to_path_buf();
        c.server.files_url = files_url.map(str::to_owned);
        c
    }

    #[tokio::test]
    async fn without_files_url_files_live_under_the_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        let store = open_with_env(&config(None, dir.path()), []).await.unwrap();
        store
            .put(&ObjectPath::from("a/b"), PutPayload::from_static(b"x"))
            .await
            .unwrap();
        assert!(dir.path().join("files/a/b").is_file());
    }

    #[tokio::test]
    async fn s3_settings_that_cannot_work_are_refused_before_any_request() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(Some("s3://appframe-files/p"), dir.path());
        // A key id without its secret: object_store refuses to build the client.
        let env = [("AWS_ACCESS_KEY_ID".to_owned(), "key".to_owned())];
        let e = open_with_env(&c, env).await.err().unwrap().to_string();
        assert!(e.starts_with("AFERR040: S3 settings"), "{e}");
        let c = config(Some("ftp://x"), dir.path());
        let e = open_with_env(&c, []).await.err().unwrap().to_string();
        assert!(e.starts_with("AFERR040: server.files_url"), "{e}");
    }

    #[test]
    fn only_aws_variables_object_store_knows_reach_the_builder() {
        let b = s3_builder(
            "bkt",
            [
                ("AWS_REGION".to_owned(), "eu-west-3".to_owned()),
                ("AWS_ENDPOINT".to_owned(), "http://127.0.0.1:9".to_owned()),
                ("AWS_NOT_A_KEY".to_owned(), "ignored".to_owned()),
                ("REGION".to_owned(), "ignored".to_owned()),
            ],
        );
        assert_eq!(
            b.get_config_value(&AmazonS3ConfigKey::Region).as_deref(),
            Some("eu-west-3")
        );
        assert_eq!(
            b.get_config_value(&AmazonS3ConfigKey::Endpoint).as_deref(),
            Some("http://127.0.0.1:9")
        );
        assert_eq!(
            b.get_config_value(&AmazonS3ConfigKey::Bucket).as_deref(),
            Some("bkt")
        );
    }
}
