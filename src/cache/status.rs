//! `status`: the cache's state judged from the files' contents, as a load would find it, with the files
//! involved. Facts only; nothing is written.

use std::path::{Path, PathBuf};

use super::file;
use super::identity::{Archive, ArchiveId};
use super::judge::{self, file_info, other_files, state_of};
use super::problem::Unusable;
use super::report::{ArchiveInfo, CacheState, CacheStatus, Depth, PhaseTimings, TempFileInfo};
use super::trust;
use super::write;
use crate::error::Result;

/// What `status` judges from besides the files.
pub(super) struct Inputs<'a> {
    pub(super) archive: &'a Archive,
    /// The archive's label, as shown.
    pub(super) source: String,
    pub(super) data_dir: Option<PathBuf>,
    /// Why the manager's last write failed, and for which archive.
    pub(super) write_failure: Option<([u8; 32], Unusable)>,
}

/// The cache's state, checking the file as deeply as asked.
pub(super) fn judge(inputs: &Inputs<'_>, depth: Depth) -> Result<CacheStatus> {
    let archive = inputs.archive.id(&mut PhaseTimings::default())?;
    let info = ArchiveInfo {
        source: inputs.source.clone(),
        sha256: archive.sha256,
        bytes: archive.bytes,
    };
    let data_dir = inputs.data_dir.clone();
    let cache_dir = data_dir.as_ref().map(|d| d.join("cache"));
    let untrusted = cache_dir
        .as_deref()
        .and_then(|dir| trust::check_cache_dir(dir).err());
    let (Some(dir), None) = (cache_dir, &untrusted) else {
        // Nothing is read where nothing can be trusted, or where there is no data dir.
        let why = untrusted.map_or(Unusable::NoDataDir, Unusable::Untrusted);
        let state = CacheState::InMemoryOnly { why };
        return Ok(CacheStatus {
            reason: state.to_string(),
            state,
            check: depth,
            version: inputs.archive.survey(archive)?.version,
            data_dir,
            archive: info,
            cache: file_info(None),
            changed: Vec::new(),
            other_cache_files: Vec::new(),
            temp_files: Vec::new(),
        });
    };
    let files = file::list_cache_files(&dir);
    let mut found = judge::search(&files, &archive.sha256, depth.into());
    let (path, version, state) = match (found.fresh.take(), found.damage()) {
        (Some(fresh), _) => {
            let version = file::version_of(&fresh.path)
                .unwrap_or_default()
                .to_string();
            (fresh.path, version, CacheState::Fresh)
        }
        (None, damage) => {
            // By name, whatever the listing showed: a rename in progress can hide a file from it.
            let survey = inputs.archive.survey(archive)?;
            let path = dir.join(file::file_name(&survey.version));
            let state = state_of(&path, &archive.sha256, &survey.hashes, depth);
            let (path, state) = match (state, damage) {
                (CacheState::Fresh, _) => (path, CacheState::Fresh),
                (_, Some(damage)) => damage,
                (state, None) => (path, state),
            };
            (path, survey.version, state)
        }
    };
    let state = match state {
        CacheState::Fresh | CacheState::InMemoryOnly { .. } => state,
        other => match unusable(inputs, &dir, &archive) {
            Some(why) => CacheState::InMemoryOnly { why },
            None => other,
        },
    };
    Ok(CacheStatus {
        reason: state.to_string(),
        changed: state.changed().to_vec(),
        state,
        check: depth,
        version,
        data_dir,
        archive: info,
        cache: file_info(Some(&path)),
        other_cache_files: other_files(&files, &path),
        temp_files: write::temp_files(&dir)
            .into_iter()
            .map(|t| TempFileInfo {
                path: t.path,
                bytes: t.bytes,
                in_use: t.in_use,
            })
            .collect(),
    })
}

/// Why nothing could be written in the data dir now, if that is so: the manager's last write failed for
/// this archive, or the system says the folder cannot be written.
fn unusable(inputs: &Inputs<'_>, dir: &Path, archive: &ArchiveId) -> Option<Unusable> {
    if let Some((sha, why)) = &inputs.write_failure
        && *sha == archive.sha256
    {
        return Some(why.clone());
    }
    trust::writable(dir).err()
}
