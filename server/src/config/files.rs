//! `server.files_url`: where uploaded files live. Absent: the local disk under
//! `data_dir/files` (one instance). `s3://bucket/prefix`: an S3-compatible bucket that every
//! instance shares; endpoint, region and credentials come from the standard `AWS_*`
//! environment variables (see `crate::storage`).
//!
//! Every refusal carries a stable code, so an operator (or a deploy script) can match it:
//!
//! | code | meaning |
//! |---|---|
//! | `AFERR040` | `files_url` is not a URL this server can use (scheme, bucket name, prefix) |
//! | `AFERR041` | the bucket does not exist on the storage server (found at start-up) |
//! | `AFERR042` | the storage server refused or could not be reached at start-up (credentials, endpoint) |

use super::ConfigError;

/// `files_url` cannot be used (checked when the file is loaded).
pub const FILES_URL_INVALID: &str = "AFERR040";
/// The bucket named by `files_url` does not exist (checked at start-up).
pub const FILES_BUCKET_MISSING: &str = "AFERR041";
/// The storage server refused the start-up probe or could not be reached.
pub const FILES_STORE_UNAVAILABLE: &str = "AFERR042";

/// Where files are stored, as `files_url` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilesLocation {
    /// `data_dir/files` on the local disk (no `files_url`).
    Local,
    /// An S3-compatible bucket.
    S3 {
        /// The bucket name.
        bucket: String,
        /// Key prefix inside the bucket, without leading or trailing `/` (may be empty).
        prefix: String,
    },
}

fn invalid(message: String) -> ConfigError {
    ConfigError::Files {
        code: FILES_URL_INVALID,
        message,
    }
}

/// Reads `files_url`.
pub fn files_location(files_url: Option<&str>) -> Result<FilesLocation, ConfigError> {
    let Some(raw) = files_url else {
        return Ok(FilesLocation::Local);
    };
    let url = url::Url::parse(raw).map_err(|e| {
        invalid(format!(
            "server.files_url {raw:?} is not a URL ({e}); use s3://bucket or s3://bucket/prefix, \
             or leave it out to keep files on the local disk"
        ))
    })?;
    if url.scheme() != "s3" {
        return Err(invalid(format!(
            "server.files_url {raw:?}: the scheme {:?} is not supported; use s3://bucket/prefix \
             (the endpoint of an S3-compatible server goes in AWS_ENDPOINT)",
            url.scheme()
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(format!(
            "server.files_url {raw:?}: credentials do not belong in the URL; set \
             AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        )));
    }
    if url.port().is_some() || url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(format!(
            "server.files_url {raw:?}: only s3://bucket/prefix is read (no port, query or \
             fragment; the endpoint goes in AWS_ENDPOINT)"
        )));
    }
    let bucket = url.host_str().unwrap_or_default();
    if bucket.is_empty() {
        return Err(invalid(format!(
            "server.files_url {raw:?} names no bucket; use s3://bucket/prefix"
        )));
    }
    if !is_bucket_name(bucket) {
        return Err(invalid(format!(
            "server.files_url {raw:?}: {bucket:?} is not a valid bucket name (3 to 63 lowercase \
             letters, digits, '.' and '-', starting and ending with a letter or digit)"
        )));
    }
    let prefix = url.path().trim_matches('/');
    if prefix
        .split('/')
        .any(|p| p.is_empty() || p == "." || p == "..")
        && !prefix.is_empty()
    {
        return Err(invalid(format!(
            "server.files_url {raw:?}: the prefix {prefix:?} has an empty, '.' or '..' segment"
        )));
    }
    Ok(FilesLocation::S3 {
        bucket: bucket.to_owned(),
        prefix: prefix.to_owned(),
    })
}

/// S3's bucket naming rules (the subset every S3-compatible server accepts).
fn is_bucket_name(b: &str) -> bool {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    (3..=63).contains(&b.len())
        && b.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && edge(b.chars().next())
        && edge(b.chars().last())
        && !b.contains("..")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn code(r: Result<FilesLocation, ConfigError>) -> (&'static str, String) {
        match r {
            Err(ConfigError::Files { code, message }) => (code, message),
            other => panic!("expected a files error, got {other:?}"),
        }
    }

    #[test]
    fn no_url_is_the_local_disk_and_s3_urls_give_bucket_and_prefix() {
        assert_eq!(files_location(None).unwrap(), FilesLocation::Local);
        assert_eq!(
            files_location(Some("s3://appframe-files")).unwrap(),
            FilesLocation::S3 {
                bucket: "appframe-files".into(),
                prefix: String::new()
            }
        );
        assert_eq!(
            files_location(Some("s3://my.bucket-1/prod/eu/")).unwrap(),
            FilesLocation::S3 {
                bucket: "my.bucket-1".into(),
                prefix: "prod/eu".into()
            }
        );
    }

    #[test]
    fn unusable_urls_are_refused_with_a_stable_code_and_what_to_do() {
        for (raw, says) in [
            ("not a url", "is not a URL"),
            ("https://s3.example.org/bucket", "scheme \"https\""),
            ("file:///srv/files", "scheme \"file\""),
            ("s3://", "names no bucket"),
            ("s3:///prefix", "names no bucket"),
            ("s3://Upper_Case", "not a valid bucket name"),
            ("s3://ab", "not a valid bucket name"),
            ("s3://-bucket", "not a valid bucket name"),
            ("s3://key:secret@bucket", "credentials do not belong"),
            ("s3://bucket:9000/x", "no port"),
            ("s3://bucket/x?region=eu", "no port, query"),
            ("s3://bucket/a//b", "empty, '.' or '..'"),
        ] {
            let (c, m) = code(files_location(Some(raw)));
            assert_eq!(c, FILES_URL_INVALID, "{raw}");
            assert!(m.contains(says), "{raw}: {m}");
            let shown = ConfigError::Files {
                code: c,
                message: m,
            }
            .to_string();
            assert!(shown.starts_with("AFERR040: server.files_url"), "{shown}");
        }
    }
}
