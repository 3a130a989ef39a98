//! The configuration file is the truth for what it declares: at every start the registry in
//! `appframe.toml` is written into the store, and what the file declared before and no longer
//! declares is taken back. API keys and memberships are deleted, a publisher that vanished
//! loses its origins, and apps, members and items are deactivated: they keep their app data
//! (a configuration change never deletes data) but grant nothing until declared again.
//! Entries created through the integration API are not the file's, so they are left alone.
//!
//! [`plan`] compares the file with what the store holds ([`RegistryState`]) and lists the
//! [`Change`]s; [`apply`] makes them (logging one line each); [`preview`] computes them for
//! `appframe-server check-config FILE --plan` without changing the database.

use crate::{
    config::Config,
    error::Result,
    secret,
    store::{
        self, Account, AppRecord, Entry, EntryState, ItemRecord, MembershipRecord, Publisher,
        RegistryState, Store, UNHASHED_PREFIX,
    },
};
use appframe_protocol::Permission;
use std::{
    collections::{BTreeMap, BTreeSet},
    fmt,
};

/// One difference between the configuration and the store, as a start would resolve it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The file declares an entry the store does not have.
    Add(Entry),
    /// The file now declares an entry created through the integration API; it becomes the
    /// file's (revoked when the file stops declaring it).
    Adopt(Entry),
    /// The file declares again an entry it had deactivated.
    Reactivate(Entry),
    /// An API key of the file has another secret than the stored one.
    NewSecret(String),
    /// A membership of the file has another permission.
    Permission {
        /// The member.
        member: uuid::Uuid,
        /// The item.
        item: uuid::Uuid,
        /// Stored permission.
        from: String,
        /// Declared permission.
        to: Permission,
    },
    /// A publisher of the file gains an origin.
    AddOrigin {
        /// Publisher name.
        publisher: String,
        /// The origin.
        origin: String,
    },
    /// An origin the file declared and no longer does (or of a publisher it no longer
    /// declares): apps are no longer served from it.
    RevokeOrigin {
        /// Publisher name.
        publisher: String,
        /// The origin.
        origin: String,
    },
    /// An API key or membership the file no longer declares: deleted.
    Revoke(Entry),
    /// An app, member or item the file no longer declares: deactivated, its data kept.
    Deactivate(Entry),
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Entry::ApiKey(n) => write!(f, "api key {n:?}"),
            Entry::Publisher(n) => write!(f, "publisher {n:?}"),
            Entry::App(n) => write!(f, "app {n:?}"),
            Entry::Member(id) => write!(f, "member {id}"),
            Entry::Item(id) => write!(f, "item {id}"),
            Entry::Membership { member, item } => write!(f, "membership of {member} on {item}"),
        }
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Add(e) => write!(f, "add {e}"),
            Change::Adopt(e) => write!(
                f,
                "adopt {e} (created through the integration API, now declared by the file)"
            ),
            Change::Reactivate(e) => write!(f, "reactivate {e}"),
            Change::NewSecret(n) => write!(f, "api key {n:?}: new secret"),
            Change::Permission {
                member,
                item,
                from,
                to,
            } => write!(
                f,
                "membership of {member} on {item}: permission {from} -> {}",
                to.as_str()
            ),
            Change::AddOrigin { publisher, origin } => {
                write!(f, "publisher {publisher:?}: add origin {origin}")
            }
            Change::RevokeOrigin { publisher, origin } => {
                write!(f, "publisher {publisher:?}: revoke origin {origin}")
            }
            Change::Revoke(e) => write!(f, "revoke {e}"),
            Change::Deactivate(e) => write!(f, "deactivate {e} (its app data is kept)"),
        }
    }
}

/// Every entry the file declares, with what is compared beyond existence (the key digest of
/// API keys, the origins of publishers, the permission of memberships).
fn declared(config: &Config) -> BTreeMap<Entry, Vec<String>> {
    let mut out = BTreeMap::new();
    for k in &config.api_keys {
        out.insert(Entry::ApiKey(k.name.clone()), vec![secret::digest(&k.key)]);
    }
    for p in &config.publishers {
        out.insert(Entry::Publisher(p.name.clone()), p.origins.clone());
    }
    for a in &config.apps {
        out.insert(Entry::App(a.name.clone()), vec![]);
    }
    for m in &config.members {
        out.insert(Entry::Member(m.id), vec![]);
    }
    for i in &config.items {
        out.insert(Entry::Item(i.id), vec![]);
    }
    for m in &config.memberships {
        let e = Entry::Membership {
            member: m.member,
            item: m.item,
        };
        out.insert(e, vec![m.permission.as_str().to_owned()]);
    }
    out
}

/// What a start with `config` changes in a store holding `state`, in a stable order.
pub fn plan(config: &Config, state: &RegistryState) -> Vec<Change> {
    let declared = declared(config);
    let stored: BTreeMap<&Entry, &EntryState> =
        state.entries.iter().map(|s| (&s.entry, s)).collect();
    let mut changes = Vec::new();
    for (entry, detail) in &declared {
        let Some(s) = stored.get(entry) else {
            changes.push(Change::Add(entry.clone()));
            continue;
        };
        if !s.active {
            changes.push(Change::Reactivate(entry.clone()));
        } else if !s.managed {
            changes.push(Change::Adopt(entry.clone()));
        }
        match entry {
            Entry::ApiKey(name) => {
                // A row the hashing migration left without a digest gets it now; that is not
                // a new secret.
                let old = s.detail.first().map(String::as_str).unwrap_or_default();
                if Some(old) != detail.first().map(String::as_str)
                    && !old.starts_with(UNHASHED_PREFIX)
                {
                    changes.push(Change::NewSecret(name.clone()));
                }
            }
            Entry::Publisher(name) => {
                let now: BTreeSet<&String> = detail.iter().collect();
                let before: BTreeSet<&String> = s.detail.iter().collect();
                for o in now.difference(&before) {
                    changes.push(Change::AddOrigin {
                        publisher: name.clone(),
                        origin: (*o).clone(),
                    });
                }
                for o in before.difference(&now) {
                    changes.push(Change::RevokeOrigin {
                        publisher: name.clone(),
                        origin: (*o).clone(),
                    });
                }
            }
            Entry::Membership { member, item } => {
                let (from, to) = (s.detail.first(), detail.first());
                if from != to
                    && let Some(to) = to.and_then(|p| Permission::parse(p))
                {
                    changes.push(Change::Permission {
                        member: *member,
                        item: *item,
                        from: from.cloned().unwrap_or_default(),
                        to,
                    });
                }
            }
            _ => {}
        }
    }
    for s in &state.entries {
        if !s.managed || declared.contains_key(&s.entry) {
            continue;
        }
        match &s.entry {
            Entry::ApiKey(_) | Entry::Membership { .. } => {
                changes.push(Change::Revoke(s.entry.clone()));
            }
            Entry::Publisher(name) => {
                for origin in &s.detail {
                    changes.push(Change::RevokeOrigin {
                        publisher: name.clone(),
                        origin: origin.clone(),
                    });
                }
            }
            Entry::App(_) | Entry::Member(_) | Entry::Item(_) if s.active => {
                changes.push(Change::Deactivate(s.entry.clone()));
            }
            _ => {}
        }
    }
    changes
}

/// Writes the registry of `config` into the store and takes back what the file no longer
/// declares; logs one line per change and returns the changes. Running it twice with the same
/// file changes nothing the second time.
pub async fn apply(store: &dyn Store, config: &Config) -> Result<Vec<Change>> {
    let state = store.registry_state().await?;
    let changes = plan(config, &state);
    upsert_declared(store, config).await?;
    let declared_publishers: BTreeSet<&str> =
        config.publishers.iter().map(|p| p.name.as_str()).collect();
    let mut emptied = BTreeSet::new();
    for change in &changes {
        match change {
            Change::Add(e) | Change::Adopt(e) | Change::Reactivate(e) => {
                store.mark_declared(e).await?;
            }
            Change::Revoke(e) | Change::Deactivate(e) => {
                store.revoke(e).await?;
            }
            // The origins of a declared publisher were replaced by the upsert; one that is no
            // longer declared keeps its row (its apps and items hang on it) without origins.
            Change::RevokeOrigin { publisher, .. }
                if !declared_publishers.contains(publisher.as_str())
                    && emptied.insert(publisher.clone()) =>
            {
                store.revoke(&Entry::Publisher(publisher.clone())).await?;
            }
            Change::RevokeOrigin { .. }
            | Change::AddOrigin { .. }
            | Change::NewSecret(_)
            | Change::Permission { .. } => {}
        }
        tracing::info!("configuration: {change}");
    }
    Ok(changes)
}

/// Inserts or updates every entry the file declares.
async fn upsert_declared(store: &dyn Store, config: &Config) -> Result<()> {
    for p in &config.publishers {
        store
            .upsert_publisher(&Publisher {
                name: p.name.clone(),
                origins: p.origins.clone(),
            })
            .await?;
    }
    for a in &config.apps {
        store
            .upsert_app(&AppRecord {
                name: a.name.clone(),
                key: a.key,
                url: a.url.clone(),
                publisher: a.publisher.clone(),
                description: a.description.clone(),
                thumbnail: a.thumbnail.clone(),
            })
            .await?;
    }
    for m in &config.members {
        store
            .upsert_account(&Account {
                id: m.id,
                name: m.name.clone(),
                kind: m.kind,
            })
            .await?;
    }
    let now = store::now();
    for i in &config.items {
        store
            .upsert_item(&ItemRecord {
                id: i.id,
                name: i.name.clone(),
                app: i.app.clone(),
                description: i.description.clone(),
                lang: i.lang.clone().unwrap_or_else(|| "en".into()),
                settings: i.settings.clone().unwrap_or_default(),
                created_at: now,
                updated_at: now,
            })
            .await?;
    }
    for m in &config.memberships {
        store
            .set_membership(&MembershipRecord {
                member: m.member,
                item: m.item,
                permission: m.permission,
            })
            .await?;
    }
    for k in &config.api_keys {
        store.upsert_api_key(&k.name, &k.key, &k.scopes).await?;
    }
    Ok(())
}

/// What a start with `config` would change in the database it names (`database_url`, or the
/// SQLite file in `data_dir`), without changing anything: pending migrations are run inside a
/// transaction that is rolled back, and a SQLite file that does not exist is not created.
pub async fn preview(config: &Config) -> Result<Vec<Change>> {
    config.validate()?;
    let s = &config.server;
    if s.database_url.is_none() && !s.data_dir.join(crate::SQLITE_FILE).exists() {
        return Ok(plan(config, &RegistryState::default()));
    }
    let store = crate::open_store(config).await?;
    let state = store.preview_registry_state().await?;
    Ok(plan(config, &state))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use uuid::Uuid;

    /// The store as the demo config leaves it.
    fn demo_state() -> RegistryState {
        let config = Config::demo();
        RegistryState {
            entries: declared(&config)
                .into_iter()
                .map(|(entry, detail)| EntryState {
                    entry,
                    managed: true,
                    active: true,
                    detail,
                })
                .collect(),
        }
    }

    #[test]
    fn the_same_file_twice_plans_nothing() {
        assert_eq!(plan(&Config::demo(), &demo_state()), vec![]);
    }

    #[test]
    fn an_empty_store_plans_one_addition_per_declared_entry() {
        let config = Config::demo();
        let changes = plan(&config, &RegistryState::default());
        assert_eq!(changes.len(), declared(&config).len());
        assert!(changes.iter().all(|c| matches!(c, Change::Add(_))));
    }

    #[test]
    fn what_the_file_stops_declaring_is_revoked_or_deactivated() {
        let mut config = Config::demo();
        config.api_keys.clear();
        config.publishers[0].origins.pop();
        let carol = config.members.pop().unwrap().id;
        config.memberships.retain(|m| m.member != carol);
        let changes = plan(&config, &demo_state());
        assert!(changes.contains(&Change::Revoke(Entry::ApiKey("demo-integration".into()))));
        assert!(changes.contains(&Change::RevokeOrigin {
            publisher: "local".into(),
            origin: "http://localhost:8081".into()
        }));
        assert!(changes.contains(&Change::Deactivate(Entry::Member(carol))));
        let revoked = changes
            .iter()
            .filter(|c| matches!(c, Change::Revoke(Entry::Membership { .. })))
            .count();
        assert_eq!(revoked, 3, "{changes:?}");
        assert_eq!(changes.len(), 6, "{changes:?}");
    }

    #[test]
    fn entries_not_from_the_file_are_left_alone_and_adopted_when_declared() {
        let mut state = demo_state();
        let erin = Uuid::new_v4();
        state.entries.push(EntryState {
            entry: Entry::Member(erin),
            managed: false,
            active: true,
            detail: vec![],
        });
        for s in &mut state.entries {
            if s.entry == Entry::App("counter".into()) {
                s.managed = false;
            }
        }
        let changes = plan(&Config::demo(), &state);
        assert_eq!(changes, vec![Change::Adopt(Entry::App("counter".into()))]);
    }

    #[test]
    fn a_deactivated_entry_declared_again_is_reactivated_and_not_deactivated_twice() {
        let mut state = demo_state();
        let mut config = Config::demo();
        let item = config.items[0].id;
        for s in &mut state.entries {
            if s.entry == Entry::Item(item) {
                s.active = false;
            }
        }
        assert_eq!(
            plan(&config, &state),
            vec![Change::Reactivate(Entry::Item(item))]
        );
        config.items.remove(0);
        config.memberships.retain(|m| m.item != item);
        state.entries.retain(|s| match &s.entry {
            Entry::Membership { item: i, .. } => *i != item,
            _ => true,
        });
        assert_eq!(plan(&config, &state), vec![]);
    }

    #[test]
    fn a_new_secret_and_a_new_permission_are_planned() {
        let mut config = Config::demo();
        config.api_keys[0].key = "another-secret-of-sixteen-chars".into();
        config.memberships[0].permission = Permission::Read;
        let changes = plan(&config, &demo_state());
        assert!(changes.contains(&Change::NewSecret("demo-integration".into())));
        assert!(
            changes
                .iter()
                .any(|c| matches!(c, Change::Permission { from, to: Permission::Read, .. } if from == "admin"))
        );
        assert_eq!(changes.len(), 2);
    }

    #[test]
    fn a_key_left_unhashed_by_the_migration_is_not_a_new_secret() {
        let mut state = demo_state();
        for s in &mut state.entries {
            if let Entry::ApiKey(name) = &s.entry {
                s.detail = vec![format!("{UNHASHED_PREFIX}{name}")];
            }
        }
        assert_eq!(plan(&Config::demo(), &state), vec![]);
    }
}
